# `}` newline `else {` and `}` newline `catch e {` work at the prompt as in a file: after
# a block that may go on, the REPL shows the continuation prompt for one more line; a
# blank line or another statement ends the wait.
start
expect ppdl> 
sendline x = 3
expect ppdl> 
sendline if x > 5 {
expect   ... 
sendline   print("big")
expect   ... 
sendline }
expect   ... 
sendline else {
expect   ... 
sendline   print("small")
expect   ... 
sendline }
expect small\nppdl> 
sendline try { 1 / 0 }
expect   ... 
sendline catch e { print("caught:", e.message) }
expect caught: division by zero\nppdl> 
sendline if x > 1 { print("one") }
expect   ... 
sendline print("two")
expect one\ntwo\nppdl> 
sendline if x > 1 { print("alone") }
expect   ... 
sendline
expect alone\nppdl> 
send \x04
exit 0
