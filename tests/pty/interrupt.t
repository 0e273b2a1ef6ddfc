# Ctrl-C during a running statement stops it, returns to the prompt and keeps state;
# it works again the second time (the handler stays installed).
start
expect ppdl> 
sendline x = 5
expect ppdl> 
sendline while true { }
expect while true { }\n
sleep 0.3
send \x03
expect interrupted
expect ppdl> 
sendline x
expect 5\nppdl> 
sendline fn spin() { n = 0; while true { n = n + 1 } }
expect ppdl> 
sendline spin()
expect spin()\n
sleep 0.3
send \x03
expect interrupted
expect ppdl> 
sendline x + 1
expect 6\nppdl> 
send \x04
exit 0
