# History survives sessions: one entry per statement, a block stays one entry and can
# be recalled with the arrow keys and run again (an if block waits one line for a
# possible `else`: the blank line after it runs it).
start
expect ppdl> 
sendline a = 1
expect ppdl> 
sendline if a == 1 {
expect   ... 
sendline   print("block " + "ran")
expect   ... 
sendline }
expect   ... 
sendline
expect block ran
expect ppdl> 
sendline print("from " + "session one")
expect from session one
expect ppdl> 
send \x04
exit 0
history 3
history-has a = 1
history-has if a == 1 {\n  print("block " + "ran")\n}
history-last print("from " + "session one")
start
expect ppdl> 
send \e[A
sendline
expect from session one
expect ppdl> 
sendline a = 1
expect ppdl> 
send \e[A\e[A\e[A
sendline
expect   ... 
sendline
expect block ran
expect ppdl> 
send \x04
exit 0
history 5
history-last if a == 1 {\n  print("block " + "ran")\n}
