# An open block gets the continuation prompt; a blank line inside it does not cancel;
# an if block waits one more line for a possible `else` (a blank line ends it), then
# runs and is one history entry.  Ctrl-D inside an open block
# reports it as incomplete and exits.
start
expect ppdl> 
sendline if true {
expect   ... 
sendline     print("in" + "side")
expect   ... 
sendline
expect   ... 
sendline }
expect   ... 
sendline
expect inside\nppdl> 
sendline [1,
expect   ... 
sendline  2]
expect [1, 2]
expect ppdl> 
sendline fn half(x) {
expect   ... 
send \x04
expect error:
exit 0
history 2
history-has if true {\n    print("in" + "side")\n\n}
history-last [1,\n 2]
