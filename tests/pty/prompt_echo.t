# The banner and the prompt appear; a bare expression's value is echoed; Ctrl-D on an
# empty line exits with status 0 after printing a newline.
start
expect ppdl 0.1.0
expect help()
expect ppdl> 
sendline 1 + 2
expect 1 + 2\n3\nppdl> 
sendline 6 * 7
expect 42\nppdl> 
send \x04
expect \n
exit 0
