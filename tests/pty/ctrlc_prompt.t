# Ctrl-C at the prompt shows ^C after the typed text and gives a fresh, empty prompt;
# in an open block it drops the whole unfinished entry.
start
expect ppdl> 
sendline y = 7
expect ppdl> 
send some half-typed text
expect some half-typed text
send \x03
expect ^C\nppdl> 
sendline y
expect 7\nppdl> 
sendline if true {
expect   ... 
sendline y = 100
expect   ... 
send y
expect y
send \x03
expect ^C\nppdl> 
sendline y
expect 7\nppdl> 
send \x04
exit 0
history-last y
