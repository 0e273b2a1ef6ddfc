# ppdl -i FILE runs the file, then stays in the REPL with its bindings.
write $TMP/init.ppdl w = 40\nprint("loaded")\n
start -i $TMP/init.ppdl
expect loaded
expect ppdl> 
sendline w + 2
expect 42\nppdl> 
send \x04
exit 0
