# An error names <repl>, the running line number and column, shows a caret, and keeps
# every earlier binding.
start
expect ppdl> 
sendline x = 41
expect ppdl> 
sendline x + nosuchname
expect <repl>:2:5: error:
expect ^
expect ppdl> 
sendline x + 1
expect 42\nppdl> 
sendline if true {
expect   ... 
sendline   y = 1
expect   ... 
sendline   y + nosuchname
expect   ... 
sendline }
expect   ... 
sendline
expect <repl>:6:7: error:
expect ppdl> 
sendline x
expect 41\nppdl> 
send \x04
exit 0
