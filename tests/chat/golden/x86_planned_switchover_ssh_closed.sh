# ssh's own line on stderr when the node's sshd closes the connection before
# the command's exit status came (OpenSSH clientloop.c: "Connection to %.300s
# closed by remote host.\r\n"); ssh then exits 255.
+10.250 < Connection to 198.51.100.10 closed by remote host.\r\n
