# Tab completes builtins (with an opening parenthesis), keywords and global names.
start
expect ppdl> 
sendline zebra_count = 12
expect ppdl> 
send pri\t
expect print(
send "do" + "ne")\r
expect done\nppdl> 
send zebra_c\t\r
expect zebra_count
expect 12\nppdl> 
send whi\t
expect while
send false { }\r
expect ppdl> 
send \x04
exit 0
