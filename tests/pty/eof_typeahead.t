# Ctrl-D typed while a statement runs (the terminal is then in cooked mode, where it
# marks end of input and later reads as a NUL byte) ends the session once the statement
# is done, as it would at the prompt.
start
expect ppdl> 
sendline n = 0
expect ppdl> 
sendline for i in 1..2000000 { n = n + 1 }
expect for i in 1..2000000 { n = n + 1 }\n
sleep 0.05
send \x04
exit 0
