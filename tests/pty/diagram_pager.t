# On a terminal, diagram() fits the terminal's width (80 columns here) and a chart taller
# than the screen (24 rows) goes through $PAGER; a short one prints directly.
env PAGER=sed s/^/paged:/
start
expect ppdl> 
sendline party a, b
expect ppdl> 
sendline x = send(1 at a, to = b)
expect ppdl> 
sendline diagram()
expect a
reject paged:
expect 1 message, 25 B, 1 round
expect ppdl> 
sendline for i in 1..30 { y = send(i at a, to = b) }
expect ppdl> 
sendline diagram()
expect paged:
expect paged:31 messages
expect ppdl> 
send \x04
exit 0
