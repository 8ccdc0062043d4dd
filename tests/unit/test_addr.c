/*
 * test_addr.c - the address grammar: table-driven parser cases (valid
 * and invalid), format -> parse round trips, skit_sockaddr_format for
 * each family, and the kind and option tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/netlink.h>
#include <linux/vm_sockets.h>

#include "skit/addr.h"

#define D SKIT_ROLE_DEFAULT
#define C SKIT_ROLE_CONNECT
#define L SKIT_ROLE_LISTEN

/* A valid address and its canonical text. */
struct good {
	const char *text;
	enum skit_role role;
	const char *canon;
};

static const struct good goods[] = {
	/* tcp / udp, hosts and ports */
	{ "tcp:127.0.0.1:80", D, "tcp:127.0.0.1:80" },
	{ "tcp:127.0.0.1:80", C, "tcp-connect:127.0.0.1:80" },
	{ "tcp:[::1]:8080,nodelay", D, "tcp:[::1]:8080,nodelay" },
	{ "tcp:[fe80::1%eth0]:80", D, "tcp:[fe80::1%eth0]:80" },
	{ "tcp:[fe80::1%3]:80", D, "tcp:[fe80::1%3]:80" },
	{ "tcp:example.com:http", D, "tcp:example.com:http" },
	{ "tcp:my_host-1.example:080", D, "tcp:my_host-1.example:80" },
	{ "tcp::8080", D, "tcp::8080" },
	{ "tcp::0", D, "tcp::0" },
	{ "tcp::0", L, "tcp-listen::0" },
	{ "tcp-listen:[::]:0,reuseaddr", D, "tcp-listen:[::]:0,reuseaddr" },
	{ "tcp-listen:8080", D, "tcp-listen::8080" },
	{ "tcp-listen::8080", D, "tcp-listen::8080" },
	{ "tcp-listen:http", D, "tcp-listen::http" },
	{ "tcp:8080", L, "tcp-listen::8080" },
	{ "tcp:0.0.0.0:65535", L, "tcp-listen:0.0.0.0:65535" },
	{ "tcp-connect:h:1", L, "tcp-connect:h:1" },
	{ "TcP-LiStEn:1", D, "tcp-listen::1" },
	{ "tcp4:1.2.3.4:5", D, "tcp4:1.2.3.4:5" },
	{ "tcp4:localhost:5", D, "tcp4:localhost:5" },
	{ "tcp6:[::1]:5", D, "tcp6:[::1]:5" },
	{ "tcp6:localhost:5", D, "tcp6:localhost:5" },
	{ "tcp6-listen:5", D, "tcp6-listen::5" },
	{ "tcp:host:20-25", C, "tcp-connect:host:20-25" },
	{ "tcp:host:7-7", C, "tcp-connect:host:7-7" },
	{ "tcp:[::ffff:1.2.3.4]:1", D, "tcp:[::ffff:1.2.3.4]:1" },
	{ "udp:127.0.0.1:53", D, "udp:127.0.0.1:53" },
	{ "udp4:127.0.0.1:53", D, "udp4:127.0.0.1:53" },
	{ "udp6:[::1]:53", D, "udp6:[::1]:53" },
	{ "udp-listen:5353", D, "udp-listen::5353" },
	{ "udp-listen:5353,reuseport", D, "udp-listen::5353,reuseport" },
	{ "udp:host:1-1024", C, "udp-connect:host:1-1024" },
	/* options */
	{ "tcp:h:1,NODELAY,KeepAlive", D, "tcp:h:1,nodelay,keepalive" },
	{ "tcp:h:1,nodelay=0", D, "tcp:h:1,nodelay=0" },
	{ "tcp:h:1,nodelay=yes,keepalive=off", D,
	  "tcp:h:1,nodelay,keepalive=0" },
	{ "tcp:h:1,rcvbuf=64k,sndbuf=1M", D,
	  "tcp:h:1,rcvbuf=65536,sndbuf=1048576" },
	{ "tcp:h:1,rcvbuf=4096", D, "tcp:h:1,rcvbuf=4096" },
	{ "tcp:h:1,connect-timeout=1.5", D, "tcp:h:1,connect-timeout=1500ms" },
	{ "tcp:h:1,connect-timeout=250ms", D, "tcp:h:1,connect-timeout=250ms" },
	{ "tcp:h:1,connect-timeout=2s", D, "tcp:h:1,connect-timeout=2000ms" },
	{ "tcp:h:1,connect-timeout=1m", D, "tcp:h:1,connect-timeout=60000ms" },
	{ "tcp:h:1,connect-timeout=.5", D, "tcp:h:1,connect-timeout=500ms" },
	{ "tcp:h:1,retry=3,interval=100ms,forever", D,
	  "tcp:h:1,retry=3,interval=100ms,forever" },
	{ "tcp:h:1,bind=10.0.0.1", D, "tcp:h:1,bind=10.0.0.1" },
	{ "tcp:h:1,bind=10.0.0.1:5000", D, "tcp:h:1,bind=10.0.0.1:5000" },
	{ "tcp:h:1,bind=[::1]:0", D, "tcp:h:1,bind=[::1]:0" },
	{ "tcp:h:1,bind=::1", D, "tcp:h:1,bind=::1" },
	{ "tcp:h:1,ttl=64,tos=0x10", D, "tcp:h:1,ttl=64,tos=16" },
	{ "tcp:h:1,mark=0xff,bindtodevice=lo", D,
	  "tcp:h:1,bindtodevice=lo,mark=255" },
	{ "tcp:h:1,v6only", D, "tcp:h:1,v6only" },
	{ "tcp-listen:1,backlog=5,fork,max-conns=10", D,
	  "tcp-listen::1,backlog=5,fork,max-conns=10" },
	{ "tcp-listen:1,range=10.0.0.0/8", D,
	  "tcp-listen::1,range=10.0.0.0/8" },
	{ "tcp-listen:1,range=[fd00::]/8", D,
	  "tcp-listen::1,range=[fd00::]/8" },
	{ "tcp-listen:1,range=127.0.0.1", D, "tcp-listen::1,range=127.0.0.1" },
	{ "tcp:h:1,idle-timeout=30", D, "tcp:h:1,idle-timeout=30000ms" },
	{ "tcp:h:1,nodelay,nodelay=0", D, "tcp:h:1,nodelay=0" },
	{ "tcp:h:1,fork", D, "tcp:h:1,fork" },
	/* socat option aliases */
	{ "tcp:h:1,sp=1234", D, "tcp:h:1,bind=:1234" },
	{ "tcp:h:1,sourceport=1234", D, "tcp:h:1,bind=:1234" },
	{ "tcp:h:1,bind=10.0.0.1,sp=99", D, "tcp:h:1,bind=10.0.0.1:99" },
	{ "tcp:h:1,sp=99,bind=::1", D, "tcp:h:1,bind=[::1]:99" },
	{ "tcp:h:1,so-reuseaddr,so-keepalive,tcp-nodelay", D,
	  "tcp:h:1,reuseaddr,nodelay,keepalive" },
	{ "tcp:h:1,ipv6only", D, "tcp:h:1,v6only" },
	{ "tcp:h:1,ipv6-v6only=0", D, "tcp:h:1,v6only=0" },
	{ "tcp:h:1,so-rcvbuf=1k,so-sndbuf=2k", D,
	  "tcp:h:1,rcvbuf=1024,sndbuf=2048" },
	{ "unix-listen:/x,perm=0600", D, "unix-listen:/x,mode=0600" },
	{ "unix-listen:/x,unlink-early", D, "unix-listen:/x,unlink" },
	{ "OPEN:/tmp/f,creat", D, "file:/tmp/f,create" },
	/* unix */
	{ "unix:/run/a.sock", D, "unix:/run/a.sock" },
	{ "unix:relative/path", D, "unix:relative/path" },
	{ "unix:@name", D, "unix:@name" },
	{ "unix-listen:@x", D, "unix-listen:@x" },
	{ "unix-listen:/run/a.sock,mode=660,user=root,group=0,unlink", D,
	  "unix-listen:/run/a.sock,mode=0660,user=root,group=0,unlink" },
	{ "unix-dgram:/tmp/d", D, "unix-dgram:/tmp/d" },
	{ "unix-dgram:@d,bind=@me", D, "unix-dgram:@d,bind=@me" },
	{ "unix-dgram-listen:/tmp/d", D, "unix-dgram-listen:/tmp/d" },
	{ "unix-seqpacket:/run/s", D, "unix-seqpacket:/run/s" },
	{ "unix-seqpacket-listen:/run/s", D, "unix-seqpacket-listen:/run/s" },
	{ "unix-seqpacket-connect:@s", D, "unix-seqpacket-connect:@s" },
	{ "unix:/a\\,b", D, "unix:/a\\,b" },
	{ "unix:/a\\\\b", D, "unix:/a\\\\b" },
	{ "unix:/a:b", D, "unix:/a:b" },
	{ "unix:@@x", D, "unix:@@x" },
	/* vsock */
	{ "vsock:2:1234", D, "vsock:2:1234" },
	{ "vsock:02:01234", D, "vsock:2:1234" },
	{ "vsock::1234", D, "vsock::1234" },
	{ "vsock-listen:1234", D, "vsock-listen::1234" },
	{ "vsock-listen:3:1234", D, "vsock-listen:3:1234" },
	{ "vsock:4294967295:1", D, "vsock::1" },
	/* icmp, ip, packet, netlink */
	{ "icmp:127.0.0.1", D, "icmp:127.0.0.1" },
	{ "icmp:localhost,ttl=3", D, "icmp:localhost,ttl=3" },
	{ "icmp6:::1", D, "icmp6:::1" },
	{ "icmp6:[::1]", D, "icmp6:::1" },
	{ "icmp6:fe80::1%lo", D, "icmp6:fe80::1%lo" },
	{ "icmp-listen:", D, "icmp-listen:" },
	{ "ip:10.0.0.1,proto=47", D, "ip:10.0.0.1,proto=47" },
	{ "ip:10.0.0.1,proto=gre", D, "ip:10.0.0.1,proto=47" },
	{ "ip:10.0.0.1:47", D, "ip:10.0.0.1,proto=47" },
	{ "ip6:::1,proto=58", D, "ip6:::1,proto=58" },
	{ "ip6:[::1]:17", D, "ip6:::1,proto=17" },
	{ "packet:eth0", D, "packet:eth0" },
	{ "packet:eth0,ethertype=0x0800", D, "packet:eth0,ethertype=0x0800" },
	{ "packet:lo,ethertype=34525", D, "packet:lo,ethertype=0x86dd" },
	{ "packet", D, "packet:" },
	{ "netlink:route", D, "netlink:route" },
	{ "netlink:ROUTE", D, "netlink:route" },
	{ "netlink:generic", D, "netlink:generic" },
	{ "netlink:16", D, "netlink:generic" },
	{ "netlink:31", D, "netlink:31" },
	{ "netlink:audit,rcvbuf=1m", D, "netlink:audit,rcvbuf=1048576" },
	/* stdio, file, exec, sh, pipe */
	{ "-", D, "-" },
	{ "-", L, "-" },
	{ "-,idle-timeout=5", D, "-,idle-timeout=5000ms" },
	{ "stdio", D, "-" },
	{ "file:/tmp/x", D, "file:/tmp/x" },
	{ "file:/tmp/x,append,create", D, "file:/tmp/x,append,create" },
	{ "file:/tmp/x,trunc", D, "file:/tmp/x,trunc" },
	{ "exec:cat -n", D, "exec:cat -n" },
	{ "exec:printf a\\,b", D, "exec:printf a\\,b" },
	{ "sh:echo hi | tr a-z A-Z", D, "sh:echo hi | tr a-z A-Z" },
	{ "sh:printf '%s\\n' x", D, "sh:printf '%s\\\\n' x" },
	{ "sh:a\\\\\\,b", D, "sh:a\\\\\\,b" },
	{ "pipe", D, "pipe" },
	{ "pipe:", D, "pipe" },
	{ "pipe:/tmp/fifo", D, "pipe:/tmp/fifo" },
	/* socat address aliases */
	{ "TCP:h:80", D, "tcp:h:80" },
	{ "TCP4:1.2.3.4:80", D, "tcp4:1.2.3.4:80" },
	{ "TCP6:[::1]:80", D, "tcp6:[::1]:80" },
	{ "TCP-CONNECT:h:80", D, "tcp-connect:h:80" },
	{ "TCP4-CONNECT:h:80", D, "tcp4-connect:h:80" },
	{ "TCP6-CONNECT:h:80", D, "tcp6-connect:h:80" },
	{ "TCP-LISTEN:8080,fork,reuseaddr", D,
	  "tcp-listen::8080,reuseaddr,fork" },
	{ "TCP4-LISTEN:8080", D, "tcp4-listen::8080" },
	/* socat: bind= on a listener is the address to listen on */
	{ "TCP-LISTEN:8080,bind=127.0.0.1", D, "tcp-listen:127.0.0.1:8080" },
	{ "tcp-listen:0,bind=[::1],reuseaddr", D,
	  "tcp-listen:[::1]:0,reuseaddr" },
	{ "UDP-LISTEN:5353,bind=127.0.0.2", D, "udp-listen:127.0.0.2:5353" },
	{ "tcp:9,bind=127.0.0.1", L, "tcp-listen:127.0.0.1:9" },
	{ "TCP6-LISTEN:8080", D, "tcp6-listen::8080" },
	{ "TCP-L:8080", D, "tcp-listen::8080" },
	{ "UDP:h:53", D, "udp:h:53" },
	{ "UDP4:h:53", D, "udp4:h:53" },
	{ "UDP6:h:53", D, "udp6:h:53" },
	{ "UDP-CONNECT:h:53", D, "udp-connect:h:53" },
	{ "UDP-LISTEN:53", D, "udp-listen::53" },
	{ "UDP4-LISTEN:53", D, "udp4-listen::53" },
	{ "UDP6-LISTEN:53", D, "udp6-listen::53" },
	{ "UDP-SENDTO:h:514", D, "udp-connect:h:514" },
	{ "UDP-RECVFROM:53,fork", D, "udp-listen::53,fork" },
	{ "UDP-RECV:53", D, "udp-listen::53" },
	{ "UDP4-CONNECT:h:53", D, "udp4-connect:h:53" },
	{ "UDP6-CONNECT:h:53", D, "udp6-connect:h:53" },
	{ "UDP4-SENDTO:h:514", D, "udp4-connect:h:514" },
	{ "UDP6-SENDTO:[::1]:514", D, "udp6-connect:[::1]:514" },
	{ "UDP-DATAGRAM:h:9", D, "udp-connect:h:9" },
	{ "UDP4-DATAGRAM:10.0.0.255:9,broadcast", D,
	  "udp4-connect:10.0.0.255:9,broadcast" },
	{ "UDP6-DATAGRAM:[ff02::1]:9", D, "udp6-connect:[ff02::1]:9" },
	{ "UDP4-RECVFROM:53,fork", D, "udp4-listen::53,fork" },
	{ "UDP6-RECVFROM:53", D, "udp6-listen::53" },
	{ "UDP4-RECV:53", D, "udp4-listen::53" },
	{ "UDP6-RECV:53", D, "udp6-listen::53" },
	{ "TCP:h:25,crnl", D, "tcp:h:25,crlf" },
	{ "-,crlf", D, "-,crlf" },
	{ "UNIX-CONNECT:/tmp/s", D, "unix-connect:/tmp/s" },
	{ "UNIX-LISTEN:/tmp/s,unlink-early", D, "unix-listen:/tmp/s,unlink" },
	{ "UNIX-CLIENT:/tmp/s", D, "unix-connect:/tmp/s" },
	{ "UNIX-SENDTO:/tmp/d", D, "unix-dgram-connect:/tmp/d" },
	{ "UNIX-RECVFROM:/tmp/d", D, "unix-dgram-listen:/tmp/d" },
	{ "UNIX-RECV:/tmp/d", D, "unix-dgram-listen:/tmp/d" },
	{ "ABSTRACT-CONNECT:x", D, "unix-connect:@x" },
	{ "ABSTRACT-LISTEN:x", D, "unix-listen:@x" },
	{ "ABSTRACT-CLIENT:x", D, "unix-connect:@x" },
	{ "ABSTRACT-SENDTO:x", D, "unix-dgram-connect:@x" },
	{ "ABSTRACT-RECVFROM:x", D, "unix-dgram-listen:@x" },
	{ "VSOCK-CONNECT:2:1234", D, "vsock-connect:2:1234" },
	{ "VSOCK-LISTEN:1234", D, "vsock-listen::1234" },
	{ "STDIO", D, "-" },
	{ "STDIN", D, "-" },
	{ "STDOUT", D, "-" },
	{ "EXEC:/bin/cat", D, "exec:/bin/cat" },
	{ "SYSTEM:echo a\\,b", D, "sh:echo a\\,b" },
	{ "OPEN:/tmp/f", D, "file:/tmp/f" },
	{ "CREATE:/tmp/f", D, "file:/tmp/f,create,trunc" },
	{ "CREATE:/tmp/f,trunc=0", D, "file:/tmp/f,create,trunc=0" },
	{ "GOPEN:/tmp/f", D, "file:/tmp/f" },
	{ "FILE:/tmp/f", D, "file:/tmp/f" },
	{ "PIPE", D, "pipe" },
	{ "PIPE:/tmp/fifo", D, "pipe:/tmp/fifo" },
	{ "IP-SENDTO:10.0.0.1:47", D, "ip:10.0.0.1,proto=47" },
	{ "IP4-SENDTO:10.0.0.1:47", D, "ip:10.0.0.1,proto=47" },
	{ "IP6-SENDTO:[::1]:47", D, "ip6:::1,proto=47" },
	{ "INTERFACE:eth0", D, "packet:eth0" },
	/* TLS: one spelling, the tls option; the other names parse to it */
	{ "tcp:127.0.0.1:443,tls", D, "tcp:127.0.0.1:443,tls" },
	{ "tls:127.0.0.1:443", D, "tcp:127.0.0.1:443,tls" },
	{ "tls:h:443,sni=x,alpn=h2;http/1.1", C,
	  "tcp-connect:h:443,tls,sni=x,alpn=h2;http/1.1" },
	{ "tls-listen:8443,cert=c.pem,key=k.pem", D,
	  "tcp-listen::8443,tls,cert=c.pem,key=k.pem" },
	{ "OPENSSL:h:443,verify=0,cafile=ca.pem", D,
	  "tcp-connect:h:443,tls,verify=0,ca=ca.pem" },
	{ "OPENSSL-LISTEN:443,certificate=c.pem", D,
	  "tcp-listen::443,tls,cert=c.pem" },
	{ "SSL:h:443,snihost=n,cipher=AES128-SHA,min-proto-version=1.3", D,
	  "tcp-connect:h:443,tls,sni=n,min-version=1.3,ciphers=AES128-SHA" },
	{ "SSL-L:443,client-ca=ca.pem,ktls", D,
	  "tcp-listen::443,tls,client-ca=ca.pem,ktls" },
	{ "unix:/run/x.sock,tls", C, "unix-connect:/run/x.sock,tls" },
	{ "vsock:2:5000,tls", D, "vsock:2:5000,tls" },
	/* tls over another stream kind: that address with ,tls */
	{ "tls:unix:/run/x.sock", D, "unix:/run/x.sock,tls" },
	{ "tls:unix:@name,sni=a", C, "unix-connect:@name,tls,sni=a" },
	{ "tls-listen:unix:/run/x.sock,cert=c.pem", D,
	  "unix-listen:/run/x.sock,tls,cert=c.pem" },
	{ "TLS-LISTEN:UNIX-LISTEN:@n", D, "unix-listen:@n,tls" },
	{ "tls-connect:vsock:2:5000", D, "vsock-connect:2:5000,tls" },
	{ "tls:tcp6:[::1]:443", D, "tcp6:[::1]:443,tls" },
};

/* An invalid address: the code, a piece of the detail, the column. */
struct bad {
	const char *text;
	enum skit_role role;
	int code;
	const char *detail;
	int column;
};

#define LONG100                                                                \
	"01234567890123456789012345678901234567890123456789012345678901234567" \
	"89"                                                                   \
	"012345678901234567890123456789"

static const struct bad bads[] = {
	{ "", D, SKIT_EADDR, "empty address", 1 },
	{ "tcp:h:443,ca=x", D, SKIT_EOPTION, "ca= needs tls", 4 },
	{ "udp:h:443,tls", D, SKIT_EOPTION, "tls", 11 },
	{ "unix-seqpacket:/x,tls", D, SKIT_EOPTION, "TLS needs a byte stream",
	  19 },
	{ "tls:unix-seqpacket:/x", D, SKIT_EOPTION, "TLS needs a byte stream",
	  19 },
	{ "tls-listen:unix-connect:/x", D, SKIT_EADDR, "two roles", 12 },
	{ "tls-listen:443,sni=x", D, SKIT_EOPTION, "sni", 16 },
	{ "tcp", D, SKIT_EADDR, "missing ':HOST:PORT'", 4 },
	{ "tcp-listen", D, SKIT_EADDR, "missing ':[HOST]:PORT'", 11 },
	{ "tcp:", D, SKIT_EADDR, "missing HOST:PORT after ':'", 5 },
	{ "tcp:host", D, SKIT_EADDR, "missing ':PORT'", 9 },
	{ "tcp:host:", D, SKIT_EADDR, "missing port after ':'", 10 },
	{ "tcp:1.2.3.4", D, SKIT_EADDR, "missing ':PORT'", 12 },
	{ "tcp-listen:1.2.3.4", D, SKIT_EADDR, "missing ':PORT'", 19 },
	{ "tcp:h:0", C, SKIT_EADDR, "port 0 is only valid when listening", 7 },
	{ "udp:h:0", C, SKIT_EADDR, "port 0 is only valid when listening", 7 },
	{ "tcp:h:65536", D, SKIT_EADDR, "port 65536 is out of range (1-65535)",
	  7 },
	{ "tcp-listen:65536", D, SKIT_EADDR, "port 65536 is out of range", 12 },
	{ "tcp:h:99999999999999999999", D, SKIT_EADDR, "out of range", 7 },
	{ "tcp:h:20-25", D, SKIT_EADDR, "only valid when connecting", 7 },
	{ "tcp:h:20-25", L, SKIT_EADDR, "only valid when connecting", 7 },
	{ "tcp:h:25-20", C, SKIT_EADDR, "backwards", 7 },
	{ "tcp:h:0-20", C, SKIT_EADDR, "out of range", 7 },
	{ "tcp:h:1-65536", C, SKIT_EADDR, "out of range", 7 },
	{ "tcp:h:-1", D, SKIT_EADDR, "bad port '-1'", 7 },
	{ "tcp:h:1x", D, SKIT_EADDR, "bad port '1x'", 7 },
	{ "tcp:h:ht$p", D, SKIT_EADDR, "bad character '$' in port", 9 },
	{ "tcp:h:" LONG100, D, SKIT_EADDR, "too long", 7 },
	{ "tcp:[::1:80", D, SKIT_EADDR, "missing ']'", 12 },
	{ "tcp:[::1]80", D, SKIT_EADDR, "unexpected '8' after ']'", 10 },
	{ "tcp:[::g]:80", D, SKIT_EADDR, "bad IPv6 address '::g'", 6 },
	{ "tcp:[1.2.3.4]:80", D, SKIT_EADDR, "bad IPv6 address '1.2.3.4'", 6 },
	{ "tcp:[]:80", D, SKIT_EADDR, "empty IPv6 address", 6 },
	{ "tcp:::1:80", D, SKIT_EADDR, "needs brackets", 5 },
	{ "tcp:fe80::1:80", D, SKIT_EADDR, "needs brackets", 5 },
	{ "tcp:[fe80::1%]:80", D, SKIT_EADDR, "empty zone id", 13 },
	{ "tcp:[fe80::1%e/0]:80", D, SKIT_EADDR, "bad character '/' in zone",
	  15 },
	{ "tcp:[fe80::1%abcdefghijklmnopq]:80", D, SKIT_EADDR,
	  "zone id 'abcdefghijklmnopq' is too long", 14 },
	{ "tcp:1.2.3.256:80", D, SKIT_EADDR, "bad IPv4 address '1.2.3.256'",
	  5 },
	{ "tcp:1.2.3:80", D, SKIT_EADDR, "bad IPv4 address", 5 },
	{ "tcp:ho st:80", D, SKIT_EADDR, "bad character ' ' in host name", 7 },
	{ "tcp:h\x01:80", D, SKIT_EADDR, "bad character '\\x01'", 6 },
	{ "tcp4:[::1]:80", D, SKIT_EADDR, "tcp4 needs an IPv4 address", 7 },
	{ "tcp6:127.0.0.1:80", D, SKIT_EADDR, "tcp6 needs an IPv6 address", 6 },
	{ "udp4:[::1]:53", D, SKIT_EADDR, "udp4 needs an IPv4 address", 7 },
	{ "tpc:h:1", D, SKIT_EADDR, "unknown kind 'tpc' (did you mean 'tcp'?)",
	  1 },
	{ "tpc-listen:1", D, SKIT_EADDR, "did you mean 'tcp-listen'?", 1 },
	{ "unxi:/x", D, SKIT_EADDR, "did you mean 'unix'?", 1 },
	{ "bogus:/x", D, SKIT_EADDR, "unknown kind 'bogus'", 1 },
	{ "127.0.0.1:80", D, SKIT_EADDR, "an address starts with a kind", 1 },
	{ "localhost:80", D, SKIT_EADDR, "unknown kind 'localhost'", 1 },
	{ ":80", D, SKIT_EADDR, "missing kind before ':'", 1 },
	{ ",x", D, SKIT_EADDR, "missing kind", 1 },
	{ "exec-listen:ls", D, SKIT_EADDR, "takes no '-listen' suffix", 5 },
	{ "TCP-LISTEN-listen:1", D, SKIT_EADDR, "already implies a role", 11 },
	{ "unix:", D, SKIT_EADDR, "missing unix socket path", 6 },
	{ "unix", D, SKIT_EADDR, "missing ':PATH or @NAME'", 5 },
	{ "unix:@", D, SKIT_EADDR, "empty abstract socket name", 7 },
	{ "ABSTRACT-LISTEN:", D, SKIT_EADDR, "empty abstract socket name", 17 },
	{ "unix:/" LONG100 "0123456789abcdefghijklmnopqrstu", D, SKIT_EADDR,
	  "unix path is 132 bytes; the limit is 107", 6 },
	{ "unix:/" LONG100 "0123456", D, SKIT_EADDR,
	  "unix path is 108 bytes; the limit is 107", 6 },
	{ "unix:@" LONG100 "01234567", D, SKIT_EADDR,
	  "abstract name is 108 bytes; the limit is 107", 7 },
	{ "vsock:", D, SKIT_EADDR, "missing CID:PORT", 7 },
	{ "vsock:2", D, SKIT_EADDR, "missing ':PORT'", 8 },
	{ "vsock:x:1", D, SKIT_EADDR, "bad vsock CID 'x'", 7 },
	{ "vsock:4294967296:1", D, SKIT_EADDR, "bad vsock CID", 7 },
	{ "vsock:2:", D, SKIT_EADDR, "missing port", 9 },
	{ "vsock:2:p", D, SKIT_EADDR, "bad vsock port 'p'", 9 },
	{ "icmp:", D, SKIT_EADDR, "missing HOST", 6 },
	{ "icmp:[::1]", D, SKIT_EADDR, "icmp needs an IPv4 address", 7 },
	{ "icmp6:1.2.3.4", D, SKIT_EADDR, "icmp6 needs an IPv6 address", 7 },
	{ "icmp:h:5", D, SKIT_EADDR, "icmp addresses take no port", 7 },
	{ "ip:10.0.0.1", D, SKIT_EOPTION, "ip addresses need proto=N", 12 },
	{ "ip:10.0.0.1,proto=0", D, SKIT_EOPTION, "must be 1-255", 19 },
	{ "ip:10.0.0.1,proto=256", D, SKIT_EOPTION, "must be 1-255", 19 },
	{ "ip:10.0.0.1,proto=bogus", D, SKIT_EOPTION, "bad value 'bogus'", 19 },
	{ "ip:10.0.0.1:6,proto=17", D, SKIT_EOPTION, "protocol given twice",
	  3 },
	{ "ip:10.0.0.1:zz", D, SKIT_EADDR, "bad IP protocol 'zz'", 13 },
	{ "packet:this-name-is-too-long", D, SKIT_EADDR, "is too long", 8 },
	{ "packet:et/h0", D, SKIT_EADDR, "bad character '/' in interface", 10 },
	{ "packet:..", D, SKIT_EADDR, "bad interface name", 8 },
	{ "packet:eth0,ethertype=0x10000", D, SKIT_EOPTION, "must be 0-65535",
	  23 },
	{ "packet:eth0,ethertype=ip", D, SKIT_EOPTION, "bad value 'ip'", 23 },
	{ "netlink:", D, SKIT_EADDR, "missing netlink family", 9 },
	{ "netlink:bogus", D, SKIT_EADDR, "unknown netlink family 'bogus'", 9 },
	{ "netlink:32", D, SKIT_EADDR, "out of range (0-31)", 9 },
	{ "-:x", D, SKIT_EADDR, "takes no target", 3 },
	{ "file:", D, SKIT_EADDR, "missing file path", 6 },
	{ "file", D, SKIT_EADDR, "missing ':PATH'", 5 },
	{ "exec:", D, SKIT_EADDR, "missing command after 'exec:'", 6 },
	{ "sh:", D, SKIT_EADDR, "missing command after 'sh:'", 4 },
	/* options */
	{ "tcp:h:1,", D, SKIT_EOPTION, "empty option", 9 },
	{ "tcp:h:1,,nodelay", D, SKIT_EOPTION, "empty option", 9 },
	{ "tcp:h:1,=1", D, SKIT_EOPTION, "missing option name", 9 },
	{ "tcp:h:1,nodely", D, SKIT_EOPTION,
	  "unknown option 'nodely' (did you mean 'nodelay'?)", 9 },
	{ "tcp:h:1,frobnicate", D, SKIT_EOPTION, "unknown option 'frobnicate'",
	  9 },
	{ "unix:/x,nodelay", D, SKIT_EOPTION,
	  "option 'nodelay' does not apply to unix addresses", 9 },
	{ "udp:h:1,nodelay", D, SKIT_EOPTION,
	  "option 'nodelay' does not apply to udp addresses", 9 },
	{ "tcp-listen:1,mode=0600", D, SKIT_EOPTION,
	  "option 'mode' does not apply to tcp addresses", 14 },
	{ "unix:/x,mode=0600", C, SKIT_EOPTION,
	  "option 'mode' applies only to listening", 9 },
	{ "unix-connect:/x,unlink", D, SKIT_EOPTION,
	  "applies only to listening", 17 },
	{ "unix-connect:/x,user=root", D, SKIT_EOPTION,
	  "applies only to listening", 17 },
	{ "tcp:h:1,proto=6", D, SKIT_EOPTION,
	  "option 'proto' does not apply to tcp", 9 },
	{ "ip:h,ethertype=0x800,proto=1", D, SKIT_EOPTION,
	  "option 'ethertype' does not apply to ip", 6 },
	{ "tcp-listen:1,connect-timeout=1", D, SKIT_EOPTION,
	  "applies only to connecting", 14 },
	{ "tcp-listen:127.0.0.1:80,bind=127.0.0.2", D, SKIT_EOPTION,
	  "listening address is given twice", 25 },
	{ "tcp-listen:80,bind=127.0.0.1:5", D, SKIT_EOPTION, "takes no port",
	  29 },
	{ "tcp4-listen:80,bind=::1", D, SKIT_EOPTION, "needs an IPv4 address",
	  21 },
	{ "tcp-listen:80,bind=", D, SKIT_EOPTION, "needs a value", 20 },
	{ "tcp-listen:80,bind", D, SKIT_EOPTION, "needs a value", 15 },
	{ "tcp-connect:h:1,fork", D, SKIT_EOPTION, "applies only to listening",
	  17 },
	{ "tcp-connect:h:1,backlog=5", D, SKIT_EOPTION,
	  "applies only to listening", 17 },
	{ "file:/x,nodelay", D, SKIT_EOPTION, "does not apply to file", 9 },
	{ "exec:ls,append", D, SKIT_EOPTION, "does not apply to exec", 9 },
	{ "-,reuseaddr", D, SKIT_EOPTION, "does not apply to stdio", 3 },
	{ "tcp:h:1,nodelay=maybe", D, SKIT_EOPTION, "is a flag", 17 },
	{ "tcp:h:1,rcvbuf", D, SKIT_EOPTION, "needs a value (rcvbuf=SIZE)",
	  15 },
	{ "tcp:h:1,rcvbuf=", D, SKIT_EOPTION, "needs a value", 16 },
	{ "tcp:h:1,rcvbuf=0", D, SKIT_EOPTION, "must be 1-", 16 },
	{ "tcp:h:1,rcvbuf=12q", D, SKIT_EOPTION, "bad value '12q'", 16 },
	{ "tcp:h:1,rcvbuf=99999999g", D, SKIT_EOPTION, "must be 1-", 16 },
	{ "tcp:h:1,rcvbuf=99999999999g", D, SKIT_EOPTION, "bad value", 16 },
	{ "sh:a\\\\,b", D, SKIT_EOPTION, "unknown option 'b'", 8 },
	{ "tcp:h:1,ttl=0", D, SKIT_EOPTION, "option 'ttl' must be 1-255", 13 },
	{ "tcp:h:1,ttl=256", D, SKIT_EOPTION, "must be 1-255, not 256", 13 },
	{ "tcp:h:1,ttl=-1", D, SKIT_EOPTION, "bad value '-1'", 13 },
	{ "tcp:h:1,connect-timeout=abc", D, SKIT_EOPTION, "bad value 'abc'",
	  25 },
	{ "tcp:h:1,connect-timeout=1x", D, SKIT_EOPTION, "bad value", 25 },
	{ "tcp:h:1,connect-timeout=25h", D, SKIT_EOPTION, "at most 24 hours",
	  25 },
	{ "tcp:h:1,connect-timeout=.", D, SKIT_EOPTION, "bad value", 25 },
	{ "unix-listen:/x,mode=0800", D, SKIT_EOPTION, "bad value '0800'", 21 },
	{ "unix-listen:/x,mode=17777", D, SKIT_EOPTION, "out of range", 21 },
	{ "unix-listen:/x,user=-x", D, SKIT_EOPTION, "bad user name '-x'", 21 },
	{ "unix-listen:/x,group=a b", D, SKIT_EOPTION, "bad group name", 22 },
	{ "tcp:h:1,bind=", D, SKIT_EOPTION, "needs a value", 14 },
	{ "tcp:h:1,bind=1.2.3.4:99999", D, SKIT_EOPTION, "out of range", 22 },
	{ "tcp:h:1,bind=[::1", D, SKIT_EOPTION, "missing ']'", 18 },
	{ "tcp4:h:1,bind=::1", D, SKIT_EOPTION, "tcp4 needs an IPv4", 15 },
	{ "icmp:h,bind=1.2.3.4:5", D, SKIT_EOPTION, "takes no port", 20 },
	{ "unix:/x,bind=@", D, SKIT_EOPTION, "empty abstract", 15 },
	{ "tcp-listen:1,range=10.0.0.0/33", D, SKIT_EOPTION, "bad range", 20 },
	{ "tcp-listen:1,range=banana", D, SKIT_EOPTION, "bad range", 20 },
	{ "tcp:h:1,bindtodevice=a/b", D, SKIT_EOPTION, "bad character '/'",
	  23 },
	{ "tcp:h:1,sp=70000", D, SKIT_EOPTION, "needs a port number", 12 },
	{ "tcp:h:1,bind=1.2.3.4:5,sp=6", D, SKIT_EOPTION, "say the port once",
	  24 },
	{ "unix:/x,sp=5", D, SKIT_EOPTION, "does not apply to unix", 9 },
	{ "tcp:h:1,retry=1000001", D, SKIT_EOPTION, "must be 0-1000000", 15 },
	{ "tcp-listen:1,max-conns=0", D, SKIT_EOPTION, "must be 1-", 24 },
};

static int failures;

/* Report a case failure and go on, so one run lists all of them. */
#define CASE_FAIL(...)                    \
	do {                              \
		print_error(__VA_ARGS__); \
		print_error("\n");        \
		failures++;               \
		return;                   \
	} while (0)

static void
check_good(const struct good *g)
{
	struct skit_addr a, b;
	struct skit_err err;
	char buf[2048], msg[512];
	int rc, n;

	rc = skit_addr_parse(g->text, g->role, &a, &err);
	if (rc != 0)
		CASE_FAIL("'%s' should parse: %s", g->text,
			  skit_err_format(&err, msg, sizeof(msg)));
	n = skit_addr_format(&a, buf, sizeof(buf));
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	if (strcmp(buf, g->canon) != 0)
		CASE_FAIL("'%s' formats as '%s', expected '%s'", g->text, buf,
			  g->canon);
	/* Round trip: the canonical text parses to an equal address. */
	rc = skit_addr_parse(buf, g->role, &b, &err);
	if (rc != 0)
		CASE_FAIL("'%s' (from '%s') does not parse: %s", buf, g->text,
			  skit_err_format(&err, msg, sizeof(msg)));
	if (!skit_addr_equal(&a, &b))
		CASE_FAIL("'%s' -> '%s' parses to another address", g->text,
			  buf);
	/* And under every other default role as well. */
	for (int r = D; r <= L; r++) {
		char buf2[2048];

		if (skit_addr_parse(buf, (enum skit_role)r, &b, &err) != 0)
			continue; /* e.g. a range needs the connect role */
		if (a.role != D) {
			assert_true(skit_addr_equal(&a, &b));
		}
		skit_addr_format(&b, buf2, sizeof(buf2));
		assert_int_equal(
			skit_addr_parse(buf2, (enum skit_role)r, &a, &err), 0);
		assert_true(skit_addr_equal(&a, &b));
		skit_addr_parse(g->text, g->role, &a, &err);
	}
}

static void
test_good(void **state)
{
	(void)state;
	failures = 0;
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++)
		check_good(&goods[i]);
	assert_int_equal(failures, 0);
}

static void
check_bad(const struct bad *b)
{
	struct skit_addr a;
	struct skit_err err;
	char msg[512];
	int rc;

	memset(&a, 0x5a, sizeof(a));
	rc = skit_addr_parse(b->text, b->role, &a, &err);
	if (rc != b->code)
		CASE_FAIL("'%s': rc %d (%s), expected %d", b->text, rc,
			  rc ? skit_err_format(&err, msg, sizeof(msg))
			     : "parsed",
			  b->code);
	assert_int_equal(err.code, b->code);
	assert_string_equal(err.op, "bad address");
	if (!strstr(err.detail, b->detail))
		CASE_FAIL("'%s': detail '%s' lacks '%s'", b->text, err.detail,
			  b->detail);
	if (err.column != b->column)
		CASE_FAIL("'%s' (%s): column %d, expected %d", b->text,
			  err.detail, err.column, b->column);
	/* The address is left empty, not half filled. */
	assert_int_equal(a.kind, SKIT_KIND_NONE);
	assert_string_equal(a.host, "");
}

static void
test_bad(void **state)
{
	(void)state;
	failures = 0;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		check_bad(&bads[i]);
	assert_int_equal(failures, 0);
}

/* Enough cases, as issue 2 asks. */
static void
test_case_count(void **state)
{
	(void)state;
	assert_true(sizeof(goods) / sizeof(goods[0]) +
			    sizeof(bads) / sizeof(bads[0]) >=
		    150);
}

static void
test_message_format(void **state)
{
	struct skit_addr a;
	struct skit_err err;
	char msg[512];

	(void)state;
	assert_int_equal(skit_addr_parse("tcp:host", C, &a, &err), SKIT_EADDR);
	assert_string_equal(skit_err_format(&err, msg, sizeof(msg)),
			    "bad address 'tcp:host': missing ':PORT'");
	assert_string_equal(err.subject, "tcp:host");
	assert_int_equal(err.column, 9);
	assert_int_equal(skit_addr_parse(NULL, C, &a, &err), SKIT_EADDR);
	assert_non_null(strstr(err.detail, "empty address"));
	assert_int_equal(skit_addr_parse("tcp:h:1", C, &a, NULL), 0);
	assert_int_equal(skit_addr_parse("tcp:h", C, &a, NULL), SKIT_EADDR);
}

static void
test_too_long(void **state)
{
	static char text[SKIT_ADDR_TEXT_MAX + 10];
	struct skit_addr a;
	struct skit_err err;
	size_t n;

	(void)state;
	memset(text, 0, sizeof(text));
	memcpy(text, "file:/", 6);
	memset(text + 6, 'a', SKIT_ADDR_TEXT_MAX - 6);
	/* Exactly the limit: the text is fine, the path too long. */
	assert_int_equal(skit_addr_parse(text, D, &a, &err), SKIT_EADDR);
	assert_non_null(strstr(err.detail, "file path is 1019 bytes"));
	text[SKIT_ADDR_TEXT_MAX] = 'a';
	assert_int_equal(skit_addr_parse(text, D, &a, &err), SKIT_EADDR);
	assert_non_null(strstr(err.detail, "longer than 1024 bytes"));
	assert_int_equal(err.column, SKIT_ADDR_TEXT_MAX + 1);
	/* Options at the limit: exec with long values still parses. */
	memset(text, 0, sizeof(text));
	snprintf(text, sizeof(text), "unix:/" LONG100 "012345");
	assert_int_equal(skit_addr_parse(text, D, &a, &err), 0);
	assert_int_equal(strlen(a.host), 107);
	/* A socat proxy form within the limit that its translation
	 * (tcp-connect:...,proxy=...) takes past it: an error that points
	 * at the address (a column, as every error has; fuzz_addr found
	 * column 0). */
	memset(text, 0, sizeof(text));
	n = (size_t)snprintf(text, sizeof(text), "PROXY:p:h:2");
	while (n + 8 < SKIT_ADDR_TEXT_MAX) {
		memcpy(text + n, ",nodelay", 8);
		n += 8;
	}
	assert_int_equal(skit_addr_parse(text, D, &a, &err), SKIT_EADDR);
	assert_non_null(strstr(err.detail, "once written as skit's"));
	assert_int_equal(err.column, 1);
}

/* Field by field, for the cases other code relies on. */
static void
test_fields(void **state)
{
	struct skit_addr a;
	struct skit_err err;

	(void)state;
	assert_int_equal(
		skit_addr_parse("tcp:[fe80::1%eth0]:http", C, &a, &err), 0);
	assert_int_equal(a.kind, SKIT_KIND_TCP);
	assert_int_equal(a.role, C);
	assert_int_equal(a.family, AF_UNSPEC);
	assert_int_equal(a.type, SOCK_STREAM);
	assert_string_equal(a.host, "fe80::1%eth0");
	assert_string_equal(a.port, "http");
	assert_int_equal(a.port_lo, 0);
	assert_true(a.host_is_literal);
	assert_string_equal(a.kind_text, "tcp");

	assert_int_equal(skit_addr_parse("TCP4-LISTEN:8080,fork", D, &a, &err),
			 0);
	assert_int_equal(a.role, L);
	assert_int_equal(a.family, AF_INET);
	assert_string_equal(a.host, "");
	assert_int_equal(a.port_lo, 8080);
	assert_int_equal(a.port_hi, 8080);
	assert_false(a.host_is_literal);
	assert_true(skit_addr_has(&a, SKIT_OPT_FORK));
	assert_string_equal(a.kind_text, "TCP4-LISTEN");

	assert_int_equal(skit_addr_parse("tcp:example.com:20-25", C, &a, &err),
			 0);
	assert_true(a.port_is_range);
	assert_int_equal(a.port_lo, 20);
	assert_int_equal(a.port_hi, 25);
	assert_false(a.host_is_literal);

	assert_int_equal(skit_addr_parse("udp:127.0.0.1:53", D, &a, &err), 0);
	assert_int_equal(a.type, SOCK_DGRAM);
	assert_true(a.host_is_literal);
	assert_int_equal(a.role, D);

	assert_int_equal(
		skit_addr_parse("unix-seqpacket-listen:@x", C, &a, &err), 0);
	assert_int_equal(a.family, AF_UNIX);
	assert_int_equal(a.type, SOCK_SEQPACKET);
	assert_int_equal(a.role, L);
	assert_true(a.abstract);
	assert_string_equal(a.host, "x");

	assert_int_equal(skit_addr_parse("ABSTRACT-SENDTO:n", D, &a, &err), 0);
	assert_int_equal(a.type, SOCK_DGRAM);
	assert_int_equal(a.role, C);
	assert_true(a.abstract);
	assert_string_equal(a.host, "n");

	assert_int_equal(skit_addr_parse("unix:/a\\,b\\\\c\\d", D, &a, &err),
			 0);
	assert_string_equal(a.host, "/a,b\\c\\d");
	assert_false(a.abstract);

	assert_int_equal(skit_addr_parse("vsock-listen:1234", D, &a, &err), 0);
	assert_int_equal(a.family, AF_VSOCK);
	assert_int_equal(a.vsock_cid, VMADDR_CID_ANY);
	assert_int_equal(a.vsock_port, 1234);
	assert_int_equal(skit_addr_parse("vsock:2:5", D, &a, &err), 0);
	assert_int_equal(a.vsock_cid, 2);
	assert_int_equal(a.vsock_port, 5);

	assert_int_equal(skit_addr_parse("icmp6:::1", D, &a, &err), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.type, SOCK_DGRAM);
	assert_int_equal(a.protocol, IPPROTO_ICMPV6);
	assert_int_equal(skit_addr_parse("icmp:h", D, &a, &err), 0);
	assert_int_equal(a.protocol, IPPROTO_ICMP);
	assert_false(a.host_is_literal);

	assert_int_equal(skit_addr_parse("ip6:::1,proto=gre", D, &a, &err), 0);
	assert_int_equal(a.type, SOCK_RAW);
	assert_int_equal(a.protocol, 47);
	assert_int_equal(skit_addr_num(&a, SKIT_OPT_PROTO, 0), 47);

	assert_int_equal(
		skit_addr_parse("packet:eth0,ethertype=0x0800", D, &a, &err),
		0);
	assert_int_equal(a.family, AF_PACKET);
	assert_int_equal(a.protocol, htons(0x0800));
	assert_int_equal(skit_addr_parse("packet:eth0", D, &a, &err), 0);
	assert_int_equal(a.protocol, htons(0x0003));

	assert_int_equal(skit_addr_parse("netlink:generic", D, &a, &err), 0);
	assert_int_equal(a.family, AF_NETLINK);
	assert_int_equal(a.netlink_proto, NETLINK_GENERIC);
	assert_int_equal(a.protocol, NETLINK_GENERIC);

	assert_int_equal(skit_addr_parse("-", L, &a, &err), 0);
	assert_int_equal(a.kind, SKIT_KIND_STDIO);
	assert_int_equal(a.role, D);
	assert_false(skit_kind_is_socket(a.kind));

	assert_int_equal(skit_addr_parse("tcp:h:1,connect-timeout=1.25,"
					 "bind=10.0.0.1,rcvbuf=2k",
					 D, &a, &err),
			 0);
	assert_int_equal(skit_addr_num(&a, SKIT_OPT_CONNECT_TIMEOUT, -1), 1250);
	assert_string_equal(skit_addr_str(&a, SKIT_OPT_BIND), "10.0.0.1");
	assert_int_equal(skit_addr_num(&a, SKIT_OPT_RCVBUF, 0), 2048);
	assert_null(skit_addr_str(&a, SKIT_OPT_USER));
	assert_int_equal(skit_addr_num(&a, SKIT_OPT_SNDBUF, 7), 7);

	assert_int_equal(
		skit_addr_parse("unix-listen:/s,mode=0640", D, &a, &err), 0);
	assert_int_equal(skit_addr_num(&a, SKIT_OPT_MODE, 0), 0640);

	assert_int_equal(skit_addr_parse("CREATE:/f", D, &a, &err), 0);
	assert_int_equal(a.kind, SKIT_KIND_FILE);
	assert_true(skit_addr_has(&a, SKIT_OPT_CREATE));
	assert_true(skit_addr_has(&a, SKIT_OPT_TRUNC));
	assert_false(skit_addr_has(&a, SKIT_OPT_APPEND));
}

/* --- skit_sockaddr_format ------------------------------------------ */

static void
check_sa(const void *sa, socklen_t len, int type, int proto, const char *want,
	 bool parses)
{
	struct skit_addr a;
	struct skit_err err;
	char buf[512], msg[512];
	int n;

	n = skit_sockaddr_format(sa, len, type, proto, buf, sizeof(buf));
	if (n < 0 || strcmp(buf, want) != 0)
		fail_msg("sockaddr formats as '%s' (%d), expected '%s'", buf, n,
			 want);
	assert_int_equal(n, (int)strlen(want));
	if (parses && skit_addr_parse(buf, SKIT_ROLE_DEFAULT, &a, &err) != 0)
		fail_msg("'%s' does not parse back: %s", buf,
			 skit_err_format(&err, msg, sizeof(msg)));
}

static void
test_sockaddr_inet(void **state)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct skit_addr a;
	struct skit_err err;
	char want[64];
	unsigned lo = if_nametoindex("lo");

	(void)state;
	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	in4.sin_port = htons(80);
	inet_pton(AF_INET, "127.0.0.1", &in4.sin_addr);
	check_sa(&in4, sizeof(in4), SOCK_STREAM, 0, "tcp:127.0.0.1:80", true);
	check_sa(&in4, sizeof(in4), SOCK_STREAM | SOCK_NONBLOCK, 0,
		 "tcp:127.0.0.1:80", true);
	check_sa(&in4, sizeof(in4), SOCK_DGRAM, 0, "udp:127.0.0.1:80", true);
	check_sa(&in4, sizeof(in4), SOCK_DGRAM, IPPROTO_ICMP, "icmp:127.0.0.1",
		 true);
	check_sa(&in4, sizeof(in4), SOCK_RAW, IPPROTO_ICMP, "icmp:127.0.0.1",
		 true);
	check_sa(&in4, sizeof(in4), SOCK_RAW, 47, "ip:127.0.0.1,proto=47",
		 true);
	in4.sin_port = 0;
	in4.sin_addr.s_addr = 0;
	check_sa(&in4, sizeof(in4), SOCK_STREAM, 0, "tcp:0.0.0.0:0", true);
	/* Too short for its family. */
	assert_true(skit_sockaddr_format((struct sockaddr *)&in4, 4,
					 SOCK_STREAM, 0, want,
					 sizeof(want)) < 0);

	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	in6.sin6_port = htons(8080);
	inet_pton(AF_INET6, "::1", &in6.sin6_addr);
	check_sa(&in6, sizeof(in6), SOCK_STREAM, 0, "tcp:[::1]:8080", true);
	check_sa(&in6, sizeof(in6), SOCK_DGRAM, IPPROTO_ICMPV6, "icmp6:::1",
		 true);
	check_sa(&in6, sizeof(in6), SOCK_RAW, 17, "ip6:::1,proto=17", true);
	inet_pton(AF_INET6, "fe80::1", &in6.sin6_addr);
	in6.sin6_port = htons(53);
	if (lo) {
		in6.sin6_scope_id = lo;
		check_sa(&in6, sizeof(in6), SOCK_DGRAM, 0,
			 "udp:[fe80::1%lo]:53", true);
		assert_int_equal(
			skit_addr_parse("udp:[fe80::1%lo]:53", C, &a, &err), 0);
		assert_string_equal(a.host, "fe80::1%lo");
	}
	/* An interface index with no interface: the number. */
	in6.sin6_scope_id = 999999;
	check_sa(&in6, sizeof(in6), SOCK_DGRAM, 0, "udp:[fe80::1%999999]:53",
		 true);
}

static void
test_sockaddr_unix(void **state)
{
	struct sockaddr_un un;
	size_t off = offsetof(struct sockaddr_un, sun_path);
	struct skit_addr a;
	struct skit_err err;
	char buf[256];

	(void)state;
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	snprintf(un.sun_path, sizeof(un.sun_path), "/run/a.sock");
	check_sa(&un, (socklen_t)(off + strlen(un.sun_path) + 1), SOCK_STREAM,
		 0, "unix:/run/a.sock", true);
	/* Without the trailing NUL in the length (it is optional). */
	check_sa(&un, (socklen_t)(off + strlen(un.sun_path)), SOCK_STREAM, 0,
		 "unix:/run/a.sock", true);
	check_sa(&un, sizeof(un), SOCK_DGRAM, 0, "unix-dgram:/run/a.sock",
		 true);
	check_sa(&un, sizeof(un), SOCK_SEQPACKET, 0,
		 "unix-seqpacket:/run/a.sock", true);

	/* Abstract: the name is exactly salen - offsetof - 1 bytes. */
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	memcpy(un.sun_path, "\0name", 5);
	check_sa(&un, (socklen_t)(off + 5), SOCK_SEQPACKET, 0,
		 "unix-seqpacket:@name", true);
	check_sa(&un, (socklen_t)(off + 3), SOCK_STREAM, 0, "unix:@na", true);
	assert_int_equal(skit_addr_parse("unix-seqpacket:@name", D, &a, &err),
			 0);
	assert_true(a.abstract);
	assert_string_equal(a.host, "name");
	/* Commas and backslashes are escaped so the text parses back. */
	memcpy(un.sun_path, "\0a,b\\c", 6);
	check_sa(&un, (socklen_t)(off + 6), SOCK_STREAM, 0, "unix:@a\\,b\\\\c",
		 true);
	assert_int_equal(skit_addr_parse("unix:@a\\,b\\\\c", D, &a, &err), 0);
	assert_string_equal(a.host, "a,b\\c");
	/* A relative path that starts with '@' is not abstract. */
	memcpy(un.sun_path, "@rel", 5);
	check_sa(&un, (socklen_t)(off + 5), SOCK_STREAM, 0, "unix:./@rel",
		 true);
	/* Unnamed (autobind not done, socketpair): "unix:". */
	check_sa(&un, (socklen_t)off, SOCK_STREAM, 0, "unix:", false);
	/* A full 108-byte path with no NUL stays within sun_path. */
	memset(un.sun_path, 'p', sizeof(un.sun_path));
	assert_int_equal(skit_sockaddr_format((struct sockaddr *)&un,
					      sizeof(un), SOCK_STREAM, 0, buf,
					      sizeof(buf)),
			 5 + 108);
	/* Truncated output: the needed length, NUL-terminated buffer. */
	assert_int_equal(skit_sockaddr_format((struct sockaddr *)&un,
					      sizeof(un), SOCK_STREAM, 0, buf,
					      10),
			 5 + 108);
	assert_int_equal(strlen(buf), 9);
}

static void
test_sockaddr_other(void **state)
{
	struct sockaddr_vm vm;
	struct sockaddr_ll ll;
	struct sockaddr_nl nl;
	struct sockaddr sa;
	char buf[64];
	unsigned lo = if_nametoindex("lo");

	(void)state;
	memset(&vm, 0, sizeof(vm));
	vm.svm_family = AF_VSOCK;
	vm.svm_cid = 2;
	vm.svm_port = 1234;
	check_sa(&vm, sizeof(vm), SOCK_STREAM, 0, "vsock:2:1234", true);
	vm.svm_cid = VMADDR_CID_ANY;
	check_sa(&vm, sizeof(vm), SOCK_STREAM, 0, "vsock::1234", true);

	memset(&ll, 0, sizeof(ll));
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(0x0800);
	if (lo) {
		ll.sll_ifindex = (int)lo;
		check_sa(&ll, sizeof(ll), SOCK_RAW, 0,
			 "packet:lo,ethertype=0x0800", true);
		ll.sll_protocol = htons(0x0003);
		check_sa(&ll, sizeof(ll), SOCK_RAW, 0, "packet:lo", true);
	}
	ll.sll_ifindex = 0;
	ll.sll_protocol = 0;
	check_sa(&ll, sizeof(ll), SOCK_RAW, htons(0x86dd),
		 "packet:,ethertype=0x86dd", true);

	memset(&nl, 0, sizeof(nl));
	nl.nl_family = AF_NETLINK;
	check_sa(&nl, sizeof(nl), SOCK_RAW, NETLINK_ROUTE, "netlink:route",
		 true);
	check_sa(&nl, sizeof(nl), SOCK_RAW, 30, "netlink:30", true);

	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_APPLETALK;
	assert_int_equal(skit_sockaddr_format(&sa, sizeof(sa), SOCK_STREAM, 0,
					      buf, sizeof(buf)),
			 -EAFNOSUPPORT);
	assert_true(skit_sockaddr_format(NULL, 0, 0, 0, buf, sizeof(buf)) < 0);
}

/* --- tables ---------------------------------------------------------- */

static void
test_opt_table(void **state)
{
	const struct skit_opt_row *rows;
	size_t n;

	(void)state;
	rows = skit_addr_opts(&n);
	assert_int_equal(n, SKIT_OPT__COUNT);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(rows[i].id, (enum skit_opt)i);
		assert_non_null(rows[i].name);
		assert_string_equal(skit_opt_name((enum skit_opt)i),
				    rows[i].name);
		assert_non_null(rows[i].summary);
		assert_true(rows[i].kinds != 0);
		assert_true(rows[i].min <= rows[i].max);
		assert_true((rows[i].type == SKIT_OPTV_FLAG) ==
			    (rows[i].value == NULL));
	}
#define SKIT_X_(id, nm_, ty_)                               \
	assert_string_equal(rows[SKIT_OPT_##id].name, nm_); \
	assert_int_equal(rows[SKIT_OPT_##id].type, ty_);
	SKIT_OPT_TABLE(SKIT_X_)
#undef SKIT_X_
	assert_int_equal(rows[SKIT_OPT_NODELAY].kinds, 1u << SKIT_KIND_TCP);
	assert_int_equal(rows[SKIT_OPT_PROTO].kinds, 1u << SKIT_KIND_IP);
	assert_int_equal(rows[SKIT_OPT_ETHERTYPE].kinds,
			 1u << SKIT_KIND_PACKET);
	assert_int_equal(rows[SKIT_OPT_MODE].roles, 1u << SKIT_ROLE_LISTEN);
}

static void
test_kind_table(void **state)
{
	static const char *const socat[] = {
		"TCP",
		"TCP4",
		"TCP6",
		"TCP-CONNECT",
		"TCP4-CONNECT",
		"TCP6-CONNECT",
		"TCP-LISTEN",
		"TCP4-LISTEN",
		"TCP6-LISTEN",
		"TCP-L",
		"UDP",
		"UDP4",
		"UDP6",
		"UDP-CONNECT",
		"UDP-LISTEN",
		"UDP4-LISTEN",
		"UDP6-LISTEN",
		"UDP-SENDTO",
		"UDP-RECVFROM",
		"UDP-RECV",
		"UDP4-CONNECT",
		"UDP6-CONNECT",
		"UDP4-SENDTO",
		"UDP6-SENDTO",
		"UDP-DATAGRAM",
		"UDP4-DATAGRAM",
		"UDP6-DATAGRAM",
		"UDP4-RECVFROM",
		"UDP6-RECVFROM",
		"UDP4-RECV",
		"UDP6-RECV",
		"UNIX-CONNECT",
		"UNIX-LISTEN",
		"UNIX-CLIENT",
		"UNIX-SENDTO",
		"UNIX-RECVFROM",
		"UNIX-RECV",
		"ABSTRACT-CONNECT",
		"ABSTRACT-LISTEN",
		"ABSTRACT-CLIENT",
		"ABSTRACT-SENDTO",
		"ABSTRACT-RECVFROM",
		"VSOCK-CONNECT",
		"VSOCK-LISTEN",
		"STDIO",
		"STDIN",
		"STDOUT",
		"EXEC",
		"SYSTEM",
		"OPEN",
		"CREATE",
		"GOPEN",
		"FILE",
		"PIPE",
		"IP-SENDTO",
		"IP4-SENDTO",
		"IP6-SENDTO",
		"INTERFACE",
	};
	const struct skit_kind_row *rows;
	size_t n;

	(void)state;
	rows = skit_addr_kinds(&n);
	assert_true(n > 40);
	/* Every socat name has a row, marked as an alias. */
	for (size_t i = 0; i < sizeof(socat) / sizeof(socat[0]); i++) {
		bool found = false;

		for (size_t j = 0; j < n; j++)
			if (rows[j].socat_alias &&
			    strcmp(rows[j].name, socat[i]) == 0)
				found = true;
		if (!found)
			fail_msg("socat name %s has no row", socat[i]);
	}
	for (size_t j = 0; j < n; j++) {
		assert_true(rows[j].kind > SKIT_KIND_NONE &&
			    rows[j].kind < SKIT_KIND__COUNT);
		assert_non_null(rows[j].summary);
		assert_non_null(rows[j].target);
	}
	for (int k = SKIT_KIND_NONE + 1; k < SKIT_KIND__COUNT; k++)
		assert_true(strlen(skit_kind_name((enum skit_kind)k)) > 0);
	assert_string_equal(skit_kind_name(SKIT_KIND_UNIX_SEQPACKET),
			    "unix-seqpacket");
	assert_true(skit_kind_is_socket(SKIT_KIND_NETLINK));
	assert_false(skit_kind_is_socket(SKIT_KIND_EXEC));
	assert_string_equal(skit_role_name(L), "listen");
	assert_string_equal(skit_role_name(C), "connect");
	assert_string_equal(skit_role_name(D), "default");
}

/* Formatting into short buffers: snprintf semantics. */
static void
test_format_short(void **state)
{
	struct skit_addr a;
	char buf[8];

	(void)state;
	assert_int_equal(skit_addr_parse("tcp:[::1]:8080", D, &a, NULL), 0);
	assert_int_equal(skit_addr_format(&a, buf, sizeof(buf)), 14);
	assert_string_equal(buf, "tcp:[::");
	assert_int_equal(skit_addr_format(&a, NULL, 0), 14);
	memset(&a, 0, sizeof(a));
	assert_true(skit_addr_format(&a, buf, sizeof(buf)) < 0);
}

/*
 * The canonical text of the largest addresses still fits in
 * SKIT_ADDR_TEXT_MAX, so format -> parse cannot fail on length even
 * when a short input expands (rcvbuf=1023m, interval=1h, sp=).
 */
static void
check_fits(const char *text, enum skit_role role)
{
	static char buf[4 * SKIT_ADDR_TEXT_MAX];
	struct skit_addr a, b;
	struct skit_err err;
	char msg[512];
	int n;

	if (skit_addr_parse(text, role, &a, &err) != 0)
		fail_msg("%s", skit_err_format(&err, msg, sizeof(msg)));
	n = skit_addr_format(&a, buf, sizeof(buf));
	assert_true(n > 0 && n <= SKIT_ADDR_TEXT_MAX);
	assert_int_equal(skit_addr_parse(buf, role, &b, &err), 0);
	assert_true(skit_addr_equal(&a, &b));
}

static void
test_canonical_fits(void **state)
{
	static char text[4 * SKIT_ADDR_TEXT_MAX], host[300], path[120];
	static const char opts[] =
		",reuseaddr=0,reuseport=0,nodelay=0,keepalive=0,rcvbuf=1023m,"
		"sndbuf=1023m,ttl=255,tos=255,v6only=0,bindtodevice="
		"abcdefghijklmno,"
		"mark=0xffffffff,retry=1000000,interval=24h,forever=0,"
		"idle-timeout=24h";

	(void)state;
	memset(host, 'h', 253);
	host[253] = '\0';
	/* Every backslash doubles in the canonical text. */
	memset(path, '\\', 107);
	path[107] = '\0';
	snprintf(text, sizeof(text),
		 "tcp4-connect:%s:abcdefghijklmnopqrstuvwxyz01234%s,"
		 "connect-timeout=24h,bind=%s:abcdefghijklmnopqrstuvwxyz01234",
		 host, opts, host);
	assert_true(strlen(text) <= SKIT_ADDR_TEXT_MAX);
	check_fits(text, D);
	snprintf(text, sizeof(text),
		 "tcp6-listen:%s:1%s,backlog=65535,fork=0,max-conns=1000000,"
		 "range=[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]/128",
		 host, opts);
	check_fits(text, D);
	snprintf(text, sizeof(text),
		 "unix-seqpacket-connect:@%s,rcvbuf=1023m,sndbuf=1023m,retry="
		 "1000000,"
		 "interval=24h,forever=0,idle-timeout=24h,connect-timeout=24h,"
		 "bind=@%s",
		 path, path);
	check_fits(text, D);
	snprintf(text, sizeof(text),
		 "unix-dgram-listen:%s,mode=07777,user="
		 "abcdefghijklmnopqrstuvwxyz012345,"
		 "group=abcdefghijklmnopqrstuvwxyz012345,unlink=0,rcvbuf=1023m,"
		 "sndbuf=1023m,fork=0,max-conns=1000000,idle-timeout=24h",
		 path);
	check_fits(text, D);
	memset(host, '\\', 255);
	host[255] = '\0';
	snprintf(text, sizeof(text),
		 "file:%s,append=0,create=0,trunc=0,idle-timeout=24h", host);
	check_fits(text, D);
}

/* Parse text (role r) and compare with a built address. */
static void
same_as(const struct skit_addr *built, const char *text, enum skit_role r)
{
	struct skit_addr want;
	struct skit_err err;
	char b1[SKIT_ADDR_TEXT_MAX + 1], b2[SKIT_ADDR_TEXT_MAX + 1];

	if (skit_addr_parse(text, r, &want, &err) < 0)
		fail_msg("'%s': %s", text, err.detail);
	skit_addr_format(built, b1, sizeof(b1));
	skit_addr_format(&want, b2, sizeof(b2));
	if (!skit_addr_equal(built, &want))
		fail_msg("built '%s' differs from parsed '%s' ('%s')", b1, b2,
			 text);
	assert_string_equal(b1, b2);
}

static void
test_builder(void **state)
{
	struct skit_addr a;
	struct skit_err err;

	(void)state;
	assert_int_equal(skit_addr_init(&a, SKIT_KIND_TCP, C), 0);
	assert_int_equal(skit_addr_set_host(&a, "127.0.0.1", &err), 0);
	assert_int_equal(skit_addr_set_port(&a, "80", &err), 0);
	assert_int_equal(skit_addr_set_flag(&a, SKIT_OPT_NODELAY, true, &err),
			 0);
	assert_int_equal(skit_addr_set_num(&a, SKIT_OPT_RCVBUF, 65536, &err),
			 0);
	assert_int_equal(
		skit_addr_set_num(&a, SKIT_OPT_CONNECT_TIMEOUT, 1500, &err), 0);
	assert_int_equal(skit_addr_set_opt(&a, SKIT_OPT_INTERVAL, "1m", &err),
			 0);
	same_as(&a,
		"tcp:127.0.0.1:80,nodelay,rcvbuf=64k,connect-timeout=1.5,"
		"interval=60s",
		C);

	/* the family, a bracketed host, a port number */
	skit_addr_init(&a, SKIT_KIND_TCP, C);
	assert_int_equal(skit_addr_set_family(&a, AF_INET6, &err), 0);
	assert_int_equal(skit_addr_set_host(&a, "[::1]", &err), 0);
	assert_int_equal(skit_addr_set_port_num(&a, 8080, &err), 0);
	same_as(&a, "tcp6:[::1]:8080", C);
	assert_string_equal(a.kind_text, "tcp6");
	skit_addr_init(&a, SKIT_KIND_UDP, L);
	assert_int_equal(skit_addr_set_host(&a, "fe80::1%eth0", &err), 0);
	assert_int_equal(skit_addr_set_port(&a, "0", &err), 0);
	same_as(&a, "udp-listen:[fe80::1%eth0]:0", D);
	skit_addr_init(&a, SKIT_KIND_TCP, C);
	assert_int_equal(skit_addr_set_target(&a, "example.com:20-25", &err),
			 0);
	same_as(&a, "tcp:example.com:20-25", C);

	/* unix, abstract; listen-only options */
	skit_addr_init(&a, SKIT_KIND_UNIX_SEQPACKET, L);
	assert_int_equal(skit_addr_set_path(&a, "@x", &err), 0);
	assert_int_equal(skit_addr_set_num(&a, SKIT_OPT_BACKLOG, 5, &err), 0);
	same_as(&a, "unix-seqpacket-listen:@x,backlog=5", D);
	skit_addr_init(&a, SKIT_KIND_UNIX, L);
	assert_int_equal(skit_addr_set_path(&a, "/run/a,b.sock", &err), 0);
	assert_int_equal(skit_addr_set_num(&a, SKIT_OPT_MODE, 0600, &err), 0);
	assert_int_equal(skit_addr_set_str(&a, SKIT_OPT_USER, "nobody", &err),
			 0);
	assert_int_equal(skit_addr_set_flag(&a, SKIT_OPT_UNLINK, false, &err),
			 0);
	same_as(&a, "unix-listen:/run/a\\,b.sock,mode=600,user=nobody,unlink=0",
		D);

	/* bind= on a listening tcp address is where it listens */
	skit_addr_init(&a, SKIT_KIND_TCP, L);
	assert_int_equal(skit_addr_set_port(&a, "0", &err), 0);
	assert_int_equal(
		skit_addr_set_str(&a, SKIT_OPT_BIND, "127.0.0.1", &err), 0);
	same_as(&a, "tcp-listen:0,bind=127.0.0.1", D);
	assert_false(skit_addr_has(&a, SKIT_OPT_BIND));

	/* ip with a protocol name, packet's ethertype, vsock, exec, file */
	skit_addr_init(&a, SKIT_KIND_IP, C);
	assert_int_equal(skit_addr_set_host(&a, "127.0.0.1", &err), 0);
	assert_int_equal(skit_addr_set_opt(&a, SKIT_OPT_PROTO, "gre", &err), 0);
	same_as(&a, "ip:127.0.0.1,proto=47", C);
	assert_int_equal(a.protocol, 47);
	skit_addr_init(&a, SKIT_KIND_IP, C);
	assert_int_equal(skit_addr_set_target(&a, "127.0.0.1:gre", &err), 0);
	same_as(&a, "ip:127.0.0.1,proto=47", C);
	skit_addr_init(&a, SKIT_KIND_PACKET, D);
	assert_int_equal(skit_addr_set_path(&a, "lo", &err), 0);
	assert_int_equal(
		skit_addr_set_num(&a, SKIT_OPT_ETHERTYPE, 0x0800, &err), 0);
	same_as(&a, "packet:lo,ethertype=0x0800", D);
	skit_addr_init(&a, SKIT_KIND_ICMP, C);
	assert_int_equal(skit_addr_set_family(&a, AF_INET6, &err), 0);
	assert_int_equal(skit_addr_set_host(&a, "::1", &err), 0);
	same_as(&a, "icmp6:[::1]", C);
	skit_addr_init(&a, SKIT_KIND_VSOCK, C);
	assert_int_equal(skit_addr_set_host(&a, "2", &err), 0);
	assert_int_equal(skit_addr_set_port(&a, "1234", &err), 0);
	same_as(&a, "vsock:2:1234", C);
	skit_addr_init(&a, SKIT_KIND_EXEC, L);
	assert_int_equal(a.role, D); /* non-socket kinds have no role */
	assert_int_equal(skit_addr_set_path(&a, "printf a\\,b, c", &err), 0);
	same_as(&a, "exec:printf a\\\\\\,b\\, c", D);
	skit_addr_init(&a, SKIT_KIND_FILE, D);
	assert_int_equal(skit_addr_set_path(&a, "/tmp/f", &err), 0);
	assert_int_equal(skit_addr_set_flag(&a, SKIT_OPT_APPEND, true, &err),
			 0);
	same_as(&a, "file:/tmp/f,append", D);
	skit_addr_init(&a, SKIT_KIND_STDIO, D);
	same_as(&a, "-", D);
	skit_addr_init(&a, SKIT_KIND_NETLINK, D);
	assert_int_equal(skit_addr_set_path(&a, "audit", &err), 0);
	same_as(&a, "netlink:audit", D);

	/* the role, once the text did not say it */
	assert_int_equal(skit_addr_parse("tcp:127.0.0.1:80", D, &a, &err), 0);
	assert_int_equal(skit_addr_set_role(&a, C, &err), 0);
	same_as(&a, "tcp-connect:127.0.0.1:80", D);

	/* the last value wins, and unset forgets */
	assert_int_equal(skit_addr_parse("tcp:h:1,bind=10.0.0.1", C, &a, &err),
			 0);
	assert_int_equal(
		skit_addr_set_str(&a, SKIT_OPT_BIND, "10.0.0.2:7", &err), 0);
	same_as(&a, "tcp:h:1,bind=10.0.0.2:7", C);
	skit_addr_unset(&a, SKIT_OPT_BIND);
	same_as(&a, "tcp:h:1", C);
	assert_null(skit_addr_get_bind(&a));
}

/* Each failure says why and leaves the address as it was. */
static void
test_builder_errors(void **state)
{
	static const struct {
		int op; /* 0 host, 1 port, 2 path, 3 opt, 4 family, 5 role */
		const char *base, *value;
		int id;
		int code;
		const char *detail;
	} cases[] = {
		{ 0, "tcp:h:1", "999.1.1.1", 0, SKIT_EADDR,
		  "bad IPv4 address" },
		{ 0, "tcp:h:1", "a b", 0, SKIT_EADDR, "bad character ' '" },
		{ 0, "tcp4:h:1", "::1", 0, SKIT_EADDR, "needs an IPv4" },
		{ 0, "unix:/x", "h", 0, SKIT_EKIND, "have no host" },
		{ 0, "icmp:h", "", 0, SKIT_EADDR, "missing HOST" },
		{ 1, "tcp-connect:h:1", "0", 0, SKIT_EADDR,
		  "port 0 is only valid" },
		{ 1, "tcp:h:1", "65536", 0, SKIT_EADDR, "out of range" },
		{ 1, "tcp-listen:1", "1-2", 0, SKIT_EADDR, "port range" },
		{ 1, "udp:h:1", "", 0, SKIT_EADDR, "missing port" },
		{ 1, "unix:/x", "1", 0, SKIT_EKIND, "have no port" },
		{ 2, "tcp:h:1", "/x", 0, SKIT_EKIND, "have no path" },
		{ 2, "unix:/x", "", 0, SKIT_EADDR, "missing unix socket path" },
		{ 3, "tcp:h:1", "0600", SKIT_OPT_MODE, SKIT_EOPTION,
		  "does not apply to tcp" },
		{ 3, "tcp:h:1", "25h", SKIT_OPT_CONNECT_TIMEOUT, SKIT_EOPTION,
		  "at most 24 hours" },
		{ 3, "tcp:h:1", "x", SKIT_OPT_RCVBUF, SKIT_EOPTION,
		  "bad value 'x'" },
		{ 3, "tcp:h:1", "2", SKIT_OPT_NODELAY, SKIT_EOPTION,
		  "is a flag" },
		{ 3, "tcp:h:1", "a,b", SKIT_OPT_BINDTODEVICE, SKIT_EOPTION,
		  "bad character ','" },
		{ 3, "tcp:h:1", "10.0.0.1:x y", SKIT_OPT_BIND, SKIT_EOPTION,
		  "bad" },
		{ 3, "tcp-listen:1", "10.0.0.0/33", SKIT_OPT_RANGE,
		  SKIT_EOPTION, "bad range" },
		{ 3, "tcp-connect:h:1", "1", SKIT_OPT_BACKLOG, SKIT_EOPTION,
		  "applies only to listening" },
		{ 4, "tcp:[::1]:1", "4", 0, SKIT_EADDR, "needs an IPv4" },
		{ 4, "tcp:h:1,bind=::1", "4", 0, SKIT_EADDR, "needs an IPv4" },
		{ 4, "icmp:h", "0", 0, SKIT_EKIND, "cannot be of family" },
		{ 4, "unix:/x", "4", 0, SKIT_EKIND, "cannot be of family" },
		{ 5, "tcp:h:1,connect-timeout=1", "L", 0, SKIT_EOPTION,
		  "applies only to connecting" },
		{ 5, "tcp:h:0", "C", 0, SKIT_EADDR, "port 0" },
		{ 5, "file:/x", "C", 0, SKIT_EKIND, "neither connect" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct skit_addr a, before;
		struct skit_err err;
		const char *v = cases[i].value;
		int rc = 0;

		assert_int_equal(skit_addr_parse(cases[i].base, D, &a, &err),
				 0);
		before = a;
		switch (cases[i].op) {
		case 0:
			rc = skit_addr_set_host(&a, v, &err);
			break;
		case 1:
			rc = skit_addr_set_port(&a, v, &err);
			break;
		case 2:
			rc = skit_addr_set_path(&a, v, &err);
			break;
		case 3:
			rc = skit_addr_set_opt(&a, cases[i].id, v, &err);
			break;
		case 4:
			rc = skit_addr_set_family(&a,
						  v[0] == '4'	? AF_INET
						  : v[0] == '6' ? AF_INET6
								: AF_UNSPEC,
						  &err);
			break;
		case 5:
			rc = skit_addr_set_role(&a, v[0] == 'L' ? L : C, &err);
			break;
		}
		if (rc != cases[i].code || err.code != cases[i].code ||
		    !strstr(err.detail, cases[i].detail))
			fail_msg("case %zu (%s, '%s'): rc %d, '%s'", i,
				 cases[i].base, v, rc, err.detail);
		if (memcmp(&a, &before, sizeof(a)) != 0)
			fail_msg("case %zu changed the address", i);
	}
}

static void
test_typed_bind_range(void **state)
{
	const struct skit_addr_bind *b;
	const struct skit_cidr *r;
	struct skit_addr a;
	struct skit_err err;

	(void)state;
	assert_int_equal(
		skit_addr_parse("tcp:h:1,bind=10.0.0.1:5000", C, &a, &err), 0);
	b = skit_addr_get_bind(&a);
	assert_non_null(b);
	assert_false(b->is_path);
	assert_string_equal(b->host, "10.0.0.1");
	assert_int_equal(b->family, AF_INET);
	assert_true(b->has_port);
	assert_int_equal(b->port, 5000);

	assert_int_equal(skit_addr_parse("tcp:h:1,bind=[::1]", C, &a, &err), 0);
	b = skit_addr_get_bind(&a);
	assert_string_equal(b->host, "::1");
	assert_int_equal(b->family, AF_INET6);
	assert_false(b->has_port);

	assert_int_equal(
		skit_addr_parse("tcp:h:1,bind=host.example,sp=99", C, &a, &err),
		0);
	b = skit_addr_get_bind(&a);
	assert_string_equal(b->host, "host.example");
	assert_int_equal(b->family, AF_UNSPEC);
	assert_true(b->has_port);
	assert_int_equal(b->port, 99);

	assert_int_equal(skit_addr_parse("udp:h:1,sp=1234", C, &a, &err), 0);
	b = skit_addr_get_bind(&a);
	assert_string_equal(b->host, "");
	assert_int_equal(b->port, 1234);

	assert_int_equal(skit_addr_parse("unix-dgram:@d,bind=@me", C, &a, &err),
			 0);
	b = skit_addr_get_bind(&a);
	assert_true(b->is_path);
	assert_true(b->abstract);
	assert_string_equal(b->host, "me");
	assert_int_equal(skit_addr_parse("unix:/x,bind=/tmp/s", C, &a, &err),
			 0);
	b = skit_addr_get_bind(&a);
	assert_true(b->is_path);
	assert_false(b->abstract);
	assert_string_equal(b->host, "/tmp/s");

	assert_int_equal(skit_addr_parse("tcp:h:1", C, &a, &err), 0);
	assert_null(skit_addr_get_bind(&a));
	assert_null(skit_addr_get_range(&a));

	assert_int_equal(
		skit_addr_parse("tcp-listen:1,range=[fd00::]/8", D, &a, &err),
		0);
	r = skit_addr_get_range(&a);
	assert_non_null(r);
	assert_int_equal(r->family, AF_INET6);
	assert_int_equal(r->prefix, 8);
	assert_int_equal(r->bytes[0], 0xfd);
	assert_int_equal(
		skit_addr_parse("tcp-listen:1,range=10.0.0.0/8", D, &a, &err),
		0);
	r = skit_addr_get_range(&a);
	assert_int_equal(r->family, AF_INET);
	assert_int_equal(r->bytes[0], 10);
	assert_int_equal(r->prefix, 8);

	/* a bad value points at its column */
	assert_int_equal(
		skit_addr_parse("tcp-listen:1,range=10.0.0.0/33", D, &a, &err),
		SKIT_EOPTION);
	assert_int_equal(err.column, 20);
	assert_int_equal(
		skit_addr_parse("tcp:h:1,bind=10.0.0.1:x y", C, &a, &err),
		SKIT_EOPTION);
	assert_int_equal(err.column, 24); /* the ' ' */
}

static void
test_check(void **state)
{
	struct skit_addr a;
	struct skit_err err;

	(void)state;
	assert_int_equal(skit_addr_parse("tcp:127.0.0.1:80,nodelay,retry=3", C,
					 &a, &err),
			 0);
	assert_int_equal(skit_addr_check(&a, SKIT_OPTS_OPEN, "skit echo", &err),
			 SKIT_EOPTION);
	assert_string_equal(err.detail,
			    "option 'retry' does not apply to 'skit echo'");
	assert_string_equal(err.op, "bad address");
	assert_string_equal(err.subject,
			    "tcp-connect:127.0.0.1:80,nodelay,retry=3");
	assert_int_equal(err.column, 34);
	assert_int_equal(strncmp(err.subject + err.column - 1, "retry", 5), 0);
	assert_int_equal(skit_addr_check(&a,
					 SKIT_OPTS_OPEN | SKIT_OPT_BIT(RETRY),
					 "skit relay", &err),
			 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(skit_addr_check(&a, SKIT_OPTS_ALL, "x", &err), 0);

	/* more options than mask bits: the fault options share the top
	 * one, and no other option's bit is theirs */
	assert_true(SKIT_OPT__COUNT > 64);
	assert_int_equal(
		skit_addr_parse("tcp:127.0.0.1:80,seed=3,crlf", D, &a, &err),
		0);
	assert_int_equal(skit_addr_check(&a, SKIT_OPTS_OPEN | SKIT_OPTS_FAULT,
					 "skit connect", &err),
			 SKIT_EOPTION);
	assert_string_equal(err.detail,
			    "option 'crlf' does not apply to 'skit connect'");
	assert_int_equal(
		skit_addr_check(&a, SKIT_OPT_BIT(CRLF), "skit x", &err),
		SKIT_EOPTION);
	assert_string_equal(err.detail,
			    "option 'seed' does not apply to 'skit x'");
	assert_int_equal(skit_addr_check(&a,
					 SKIT_OPT_BIT(CRLF) | SKIT_OPTS_FAULT,
					 "skit relay", &err),
			 0);
	assert_int_equal(skit_addr_check(&a, SKIT_OPTS_ALL, "x", &err), 0);

	/* a value holding an option's name does not fool the column */
	assert_int_equal(
		skit_addr_parse("exec:a\\,retry=1,idle-timeout=1", D, &a, &err),
		0);
	assert_int_equal(skit_addr_check(&a, 0, "skit connect", &err),
			 SKIT_EOPTION);
	assert_int_equal(
		strncmp(err.subject + err.column - 1, "idle-timeout", 12), 0);

	/* options a socat name implies count as written */
	assert_int_equal(skit_addr_parse("CREATE:/tmp/x", D, &a, &err), 0);
	assert_int_equal(skit_addr_check(&a, SKIT_OPT_BIT(TRUNC), "c", &err),
			 SKIT_EOPTION);
	assert_non_null(strstr(err.detail, "'create'"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_case_count),
		cmocka_unit_test(test_message_format),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_sockaddr_inet),
		cmocka_unit_test(test_sockaddr_unix),
		cmocka_unit_test(test_sockaddr_other),
		cmocka_unit_test(test_opt_table),
		cmocka_unit_test(test_kind_table),
		cmocka_unit_test(test_format_short),
		cmocka_unit_test(test_canonical_fits),
		cmocka_unit_test(test_builder),
		cmocka_unit_test(test_builder_errors),
		cmocka_unit_test(test_typed_bind_range),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
