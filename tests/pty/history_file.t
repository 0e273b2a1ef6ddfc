# Without $PPDL_HISTORY the file is ~/.ppdl_history; PPDL_HISTORY=/dev/null disables it.
unset PPDL_HISTORY
start
expect ppdl> 
sendline h = 3
expect ppdl> 
send \x04
exit 0
history 1
history-last h = 3
env PPDL_HISTORY=/dev/null
write $TMP/.ppdl_history 
start
expect ppdl> 
sendline h = 4
expect ppdl> 
send \x04
exit 0
unset PPDL_HISTORY
history 0
