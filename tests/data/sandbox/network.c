/* Tries to open a TCP connection to a loopback-unreachable address; prints what happened. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to; memset(&to, 0, sizeof to);
  to.sin_family = AF_INET; to.sin_port = htons(80);
  inet_pton(AF_INET, "192.0.2.1", &to.sin_addr); /* TEST-NET-1: documentation range, never routed */
  if (connect(s, (struct sockaddr *)&to, sizeof to) != 0) { printf("connect failed: %s\n", strerror(errno)); return 3; }
  puts("connected"); close(s); return 0;
}
