/*
 * gdbstub.c - the gdb remote serial protocol: connection, packets, run
 * control (include/monitor/gdbstub.h).
 *
 * All-stop, one thread (the vCPU, thread id 1). While the guest is
 * stopped the stub owns the vCPU thread: it reads packets from the socket
 * (polling every 200 ms for a quit request) and answers them until gdb
 * resumes (c, s, vCont), detaches (D, or closes the connection) or kills
 * (k, vKill). While the guest runs, the I/O thread watches the socket
 * (mon_events_watch_fd): Ctrl-C (0x03) from gdb, or a new connection,
 * kicks the vCPU and the monitor loop calls gdbstub_poll(). A new
 * connection stops the guest, as QEMU's stub does.
 *
 * Supported: ? g G p P m M c C s S vCont (c, C, s, S) Z0-Z4 z0-z4 D k
 * vKill qSupported qXfer:features:read qAttached qC qfThreadInfo
 * qsThreadInfo QStartNoAckMode H T; anything else gets the empty reply
 * ("not supported"), which gdb understands (X falls back to M, and so on).
 * Stop replies name the thread and, when gdb announced it understands
 * them, swbreak/hwbreak and watch/rwatch/awatch with the address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bt/debug.h"
#include "monitor/console.h"
#include "monitor/gdbstub.h"
#include "monitor/gdbstub_priv.h"
#include "monitor/monitor.h"

#define PKT_MAX 0x4000 /* PacketSize we announce */
#define RX_EOF (-1)
#define RX_TIMEOUT (-2)
#define RX_QUIT (-3)

static struct {
	int listen_fd, client;
	char where[64];	    /* address:port, for messages */
	bool start_stopped; /* -S, until the first connection */
	bool watching;	    /* the I/O thread watches listen_fd */
	bool running;	    /* gdb waits for a stop reply */
	bool no_ack;	    /* QStartNoAckMode */
	bool swbreak, hwbreak;
	char last_stop[64]; /* the reply to '?' */
	uint8_t rx[4096];
	size_t rx_len, rx_pos;
	char pkt[PKT_MAX + 1];
	char out[2 * PKT_MAX + 64];
} gs = {.listen_fd = -1, .client = -1};

/* ---- listening ---------------------------------------------------------- */

static int parse_spec(const char *spec, struct sockaddr_in *sa)
{
	const char *host = "", *colon;
	char hostbuf[64], *end;
	unsigned long port;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (strncmp(spec, "tcp:", 4) == 0) {
		spec += 4;
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof(hostbuf))
			return -1;
		memcpy(hostbuf, spec, (size_t)(colon - spec));
		hostbuf[colon - spec] = 0;
		host = hostbuf;
		spec = colon + 1;
	}
	errno = 0;
	port = strtoul(spec, &end, 10);
	if (errno || end == spec || *end || port == 0 || port > 65535)
		return -1;
	sa->sin_port = htons((uint16_t)port);
	if (!*host || strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -1;
	return 0;
}

int gdbstub_listen(const char *spec, bool start_stopped, char *err,
		   size_t errlen)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	if (parse_spec(spec, &sa) < 0) {
		snprintf(err, errlen,
			 "-gdb %s: give tcp::PORT or tcp:ADDRESS:PORT (a "
			 "numeric IPv4 address or localhost)",
			 spec);
		return -1;
	}
	snprintf(gs.where, sizeof(gs.where), "%s:%u", inet_ntoa(sa.sin_addr),
		 ntohs(sa.sin_port));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0 && fd < 3) {
		/* stdin..stderr were closed: keep 0-2 free, the I/O thread
		 * treats descriptor 0 as the console. */
		int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);

		close(fd);
		fd = moved;
	}
	if (fd < 0) {
		snprintf(err, errlen, "-gdb %s: socket: %s", spec,
			 strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Inherited by the accepted socket: every packet is one write. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EADDRINUSE)
			snprintf(err, errlen,
				 "-gdb %s: %s is in use (another bt386 or "
				 "QEMU?); choose another port",
				 spec, gs.where);
		else
			snprintf(err, errlen,
				 "-gdb %s: cannot listen on %s: %s", spec,
				 gs.where, strerror(errno));
		close(fd);
		return -1;
	}
	if (listen(fd, 1) < 0) {
		snprintf(err, errlen, "-gdb %s: listen: %s", spec,
			 strerror(errno));
		close(fd);
		return -1;
	}
	gs.listen_fd = fd;
	gs.start_stopped = start_stopped;
	return 0;
}

int gdbstub_listen_fd(void)
{
	return gs.listen_fd;
}

/* ---- bytes and packets -------------------------------------------------- */

/* The next byte from gdb, waiting up to timeout_ms (-1: for ever, but a
 * quit request ends the wait). */
static int rx_byte(int timeout_ms)
{
	while (gs.rx_pos == gs.rx_len) {
		struct pollfd p = {.fd = gs.client, .events = POLLIN};
		int wait =
			timeout_ms < 0 || timeout_ms > 200 ? 200 : timeout_ms;
		ssize_t got;
		int n = poll(&p, 1, wait);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			if (mon_quit_requested())
				return RX_QUIT;
			if (timeout_ms >= 0 && (timeout_ms -= wait) <= 0)
				return RX_TIMEOUT;
			continue;
		}
		got = n < 0 ? -1 : read(gs.client, gs.rx, sizeof(gs.rx));
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			return RX_EOF;
		gs.rx_len = (size_t)got;
		gs.rx_pos = 0;
	}
	return gs.rx[gs.rx_pos++];
}

static int tx(const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(gs.client, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const char hexdig[] = "0123456789abcdef";

/* Send one packet, escaping what the protocol reserves; wait for the
 * acknowledgement unless QStartNoAckMode. */
static int put_packet(const char *data, size_t len)
{
	static char buf[2 * sizeof(gs.out) + 8];
	size_t n = 0;
	uint8_t sum = 0;

	buf[n++] = '$';
	for (size_t i = 0; i < len; i++) {
		char c = data[i];

		if (c == '$' || c == '#' || c == '}' || c == '*') {
			buf[n++] = '}';
			sum += '}';
			c ^= 0x20;
		}
		buf[n++] = c;
		sum += (uint8_t)c;
	}
	buf[n++] = '#';
	buf[n++] = hexdig[sum >> 4];
	buf[n++] = hexdig[sum & 15];
	for (int tries = 0; tries < 3; tries++) {
		int c;

		if (tx(buf, n) < 0)
			return -1;
		if (gs.no_ack)
			return 0;
		do
			c = rx_byte(5000);
		while (c >= 0 && c != '+' && c != '-');
		if (c == '+')
			return 0;
		if (c < 0)
			return -1;
	}
	return -1;
}

static int put_str(const char *s)
{
	return put_packet(s, strlen(s));
}

/* The next packet into gs.pkt (NUL-terminated): its length, or RX_EOF,
 * RX_QUIT. Bytes between packets (acks, Ctrl-C while stopped) are
 * dropped. */
static int get_packet(void)
{
	for (;;) {
		size_t n = 0;
		uint8_t sum = 0;
		bool overflow = false;
		int c, hi, lo;

		do
			c = rx_byte(-1);
		while (c >= 0 && c != '$');
		if (c < 0)
			return c;
		for (;;) {
			c = rx_byte(-1);
			if (c < 0)
				return c;
			if (c == '#')
				break;
			sum += (uint8_t)c;
			if (c == '}') {
				c = rx_byte(-1);
				if (c < 0)
					return c;
				sum += (uint8_t)c;
				c ^= 0x20;
			}
			if (n < PKT_MAX)
				gs.pkt[n++] = (char)c;
			else
				overflow = true;
		}
		hi = rx_byte(-1);
		lo = rx_byte(-1);
		if (hi < 0 || lo < 0)
			return hi < 0 ? hi : lo;
		gs.pkt[n] = 0;
		if (gs.no_ack)
			return (int)n;
		if (!overflow && hexval(hi) >= 0 && hexval(lo) >= 0 &&
		    (hexval(hi) << 4 | hexval(lo)) == sum) {
			if (tx("+", 1) < 0)
				return RX_EOF;
			return (int)n;
		}
		if (tx("-", 1) < 0)
			return RX_EOF;
	}
}

/* ---- helpers for commands ----------------------------------------------- */

static bool parse_hex(const char **p, uint32_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	while (hexval(*s) >= 0) {
		x = (x << 4) | (uint64_t)hexval(*s++);
		if (x > 0xffffffffu)
			return false;
	}
	if (s == *p)
		return false;
	*v = (uint32_t)x;
	*p = s;
	return true;
}

static char *put_hex(char *o, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		*o++ = hexdig[b[i] >> 4];
		*o++ = hexdig[b[i] & 15];
	}
	*o = 0;
	return o;
}

/* Decode 2n hex digits; false if fewer are there or one is not hex. */
static bool get_hex(const char *s, uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]),
		    lo = hi < 0 ? -1 : hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static void set_stop(int sig, const char *extra)
{
	snprintf(gs.last_stop, sizeof(gs.last_stop), "T%02xthread:01;%s", sig,
		 extra);
}

/* ---- commands ----------------------------------------------------------- */

enum outcome {
	STAY,	/* answered; keep serving */
	RESUME, /* the guest runs */
	DETACH,
	KILL,
	GONE, /* the connection failed */
};

static enum outcome reply(const char *s)
{
	return put_str(s) < 0 ? GONE : STAY;
}

static enum outcome cmd_regs(struct machine *m, const char *p, bool write)
{
	uint8_t b[GDB_MAX_REG_SIZE];
	char *o = gs.out;
	bool ok = true;

	for (unsigned n = 0; n < GDB_NREGS; n++) {
		unsigned size = gdb_reg_size(n);

		if (!write) {
			o = put_hex(o, b, gdb_reg_get(m, n, b));
			continue;
		}
		if (!get_hex(p, b, size))
			break; /* gdb may send fewer */
		p += 2 * size;
		if (gdb_reg_set(m, n, b) < 0)
			ok = false;
	}
	if (write)
		return reply(ok ? "OK" : "E01");
	return reply(gs.out);
}

static enum outcome cmd_reg(struct machine *m, const char *p, bool write)
{
	uint8_t b[GDB_MAX_REG_SIZE];
	uint32_t n;

	if (!parse_hex(&p, &n) || n >= GDB_NREGS)
		return reply("E01");
	if (!write) {
		put_hex(gs.out, b, gdb_reg_get(m, n, b));
		return reply(gs.out);
	}
	if (*p++ != '=' || !get_hex(p, b, gdb_reg_size(n)) ||
	    gdb_reg_set(m, n, b) < 0)
		return reply("E01");
	return reply("OK");
}

static enum outcome cmd_mem(struct machine *m, const char *p, bool write)
{
	static uint8_t b[PKT_MAX / 2];
	uint32_t addr, len;

	if (!parse_hex(&p, &addr) || *p++ != ',' || !parse_hex(&p, &len))
		return reply("E01");
	if (!write) {
		size_t got;

		if (len > sizeof(b))
			len = sizeof(b);
		got = gdb_mem_read(m, addr, b, len);
		if (!got && len)
			return reply("E14");
		put_hex(gs.out, b, got);
		return reply(gs.out);
	}
	if (*p++ != ':' || len > sizeof(b) || !get_hex(p, b, len))
		return reply("E01");
	return reply(gdb_mem_write(m, addr, b, len) == len ? "OK" : "E14");
}

static enum outcome cmd_point(const char *p, bool insert)
{
	static const enum bt_debug_kind kinds[5] = {
		BT_DEBUG_SW_BREAK, BT_DEBUG_HW_BREAK, BT_DEBUG_WATCH_WRITE,
		BT_DEBUG_WATCH_READ, BT_DEBUG_WATCH_ACCESS};
	uint32_t type, addr, len;
	int r;

	if (!parse_hex(&p, &type) || *p++ != ',' || !parse_hex(&p, &addr) ||
	    *p++ != ',' || !parse_hex(&p, &len))
		return reply("E01");
	if (type > 4)
		return reply("");
	r = insert ? bt_debug_insert(kinds[type], addr, len)
		   : bt_debug_remove(kinds[type], addr, len);
	return reply(r < 0 && insert ? "E01" : "OK");
}

/* c, s, C, S with an optional address (C/S: after the signal number). */
static enum outcome cmd_resume(struct machine *m, const char *p, bool step,
			       bool with_signal)
{
	uint32_t v;

	if (with_signal) {
		(void)parse_hex(&p, &v); /* the guest gets no signals */
		if (*p == ';')
			p++;
	}
	if (parse_hex(&p, &v)) {
		m->cpu.eip = v;
		m->cpu.halted = false;
	}
	bt_debug_resume(&m->cpu, step);
	return RESUME;
}

/* vCont;ACTION[:thread][;ACTION...]: the first action is ours (one
 * thread). */
static enum outcome cmd_vcont(struct machine *m, const char *p)
{
	if (*p == '?')
		return reply("vCont;c;C;s;S");
	if (*p++ != ';')
		return reply("E01");
	switch (*p) {
	case 'c':
	case 'C':
		bt_debug_resume(&m->cpu, false);
		return RESUME;
	case 's':
	case 'S':
		bt_debug_resume(&m->cpu, true);
		return RESUME;
	default:
		return reply("E01");
	}
}

static enum outcome cmd_xfer(const char *p)
{
	const char *annex = "features:read:target.xml:";
	uint32_t off, len;
	size_t size;
	const char *xml = gdb_target_xml(&size);

	if (strncmp(p, annex, strlen(annex)) != 0)
		return reply("");
	p += strlen(annex);
	if (!parse_hex(&p, &off) || *p++ != ',' || !parse_hex(&p, &len))
		return reply("E01");
	if (off > size)
		return reply("E01");
	if (len > PKT_MAX - 8)
		len = PKT_MAX - 8;
	if (len >= size - off) {
		gs.out[0] = 'l';
		len = (uint32_t)(size - off);
	} else {
		gs.out[0] = 'm';
	}
	memcpy(gs.out + 1, xml + off, len);
	return put_packet(gs.out, len + 1) < 0 ? GONE : STAY;
}

static enum outcome cmd_query(const char *p)
{
	if (strncmp(p, "qSupported", 10) == 0) {
		gs.swbreak = strstr(p, "swbreak+") != NULL;
		gs.hwbreak = strstr(p, "hwbreak+") != NULL;
		snprintf(gs.out, sizeof(gs.out),
			 "PacketSize=%x;qXfer:features:read+;"
			 "QStartNoAckMode+;vContSupported+%s%s",
			 PKT_MAX, gs.swbreak ? ";swbreak+" : "",
			 gs.hwbreak ? ";hwbreak+" : "");
		return reply(gs.out);
	}
	if (strncmp(p, "qXfer:", 6) == 0)
		return cmd_xfer(p + 6);
	if (strcmp(p, "QStartNoAckMode") == 0) {
		enum outcome o = reply("OK");

		gs.no_ack = true;
		return o;
	}
	if (strncmp(p, "qAttached", 9) == 0)
		return reply("1");
	if (strcmp(p, "qC") == 0)
		return reply("QC01");
	if (strcmp(p, "qfThreadInfo") == 0)
		return reply("m01");
	if (strcmp(p, "qsThreadInfo") == 0)
		return reply("l");
	if (strncmp(p, "qThreadExtraInfo", 16) == 0) {
		static const char info[] = "vCPU 0";

		put_hex(gs.out, (const uint8_t *)info, sizeof(info) - 1);
		return reply(gs.out);
	}
	if (strncmp(p, "qSymbol", 7) == 0)
		return reply("OK");
	return reply("");
}

static enum outcome handle(struct machine *m, const char *p)
{
	switch (p[0]) {
	case '?':
		return reply(gs.last_stop);
	case 'g':
		return cmd_regs(m, p + 1, false);
	case 'G':
		return cmd_regs(m, p + 1, true);
	case 'p':
		return cmd_reg(m, p + 1, false);
	case 'P':
		return cmd_reg(m, p + 1, true);
	case 'm':
		return cmd_mem(m, p + 1, false);
	case 'M':
		return cmd_mem(m, p + 1, true);
	case 'c':
		return cmd_resume(m, p + 1, false, false);
	case 's':
		return cmd_resume(m, p + 1, true, false);
	case 'C':
		return cmd_resume(m, p + 1, false, true);
	case 'S':
		return cmd_resume(m, p + 1, true, true);
	case 'Z':
		return cmd_point(p + 1, true);
	case 'z':
		return cmd_point(p + 1, false);
	case 'H':
	case 'T':
		return reply("OK");
	case 'D':
		return put_str("OK") < 0 ? GONE : DETACH;
	case 'k':
		return KILL;
	case 'q':
	case 'Q':
		return cmd_query(p);
	case 'v':
		if (strncmp(p, "vCont", 5) == 0)
			return cmd_vcont(m, p + 5);
		if (strncmp(p, "vKill", 5) == 0) {
			put_str("OK");
			return KILL;
		}
		return reply("");
	default:
		return reply("");
	}
}

/* ---- sessions ----------------------------------------------------------- */

static void drop_client(void)
{
	close(gs.client);
	gs.client = -1;
	gs.running = false;
	gs.no_ack = false;
	gs.rx_len = gs.rx_pos = 0;
	bt_debug_clear();
	mon_events_watch_fd(gs.listen_fd);
}

static int accept_client(void)
{
	int fd = accept4(gs.listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return -1;
	gs.client = fd;
	gs.no_ack = false;
	gs.swbreak = gs.hwbreak = false;
	gs.rx_len = gs.rx_pos = 0;
	set_stop(5, "");
	return 0;
}

/*
 * The guest is stopped: serve gdb until it resumes the guest, detaches or
 * kills it. `report`: gdb waits for a stop reply (it resumed the guest
 * or sent Ctrl-C); a new connection asks with '?' instead.
 */
static enum gdbstub_action stopped(struct machine *m, bool report)
{
	console_flush();
	gs.running = false;
	if (report && put_str(gs.last_stop) < 0) {
		drop_client();
		return GDBSTUB_RUN;
	}
	for (;;) {
		int n = get_packet();

		if (n == RX_QUIT)
			return GDBSTUB_QUIT;
		if (n < 0) {
			drop_client(); /* gdb went away: as a detach */
			return GDBSTUB_RUN;
		}
		switch (handle(m, gs.pkt)) {
		case STAY:
			continue;
		case RESUME:
			gs.running = true;
			mon_events_watch_fd(gs.client);
			return GDBSTUB_RUN;
		case KILL:
			close(gs.client);
			gs.client = -1;
			return GDBSTUB_KILL;
		case DETACH:
		case GONE:
			drop_client();
			return GDBSTUB_RUN;
		}
	}
}

enum gdbstub_action gdbstub_poll(struct machine *m)
{
	if (gs.listen_fd < 0)
		return GDBSTUB_RUN;
	if (gs.start_stopped) {
		struct pollfd p = {.fd = gs.listen_fd, .events = POLLIN};

		gs.start_stopped = false;
		fprintf(stderr, "bt386: -S: waiting for gdb on %s\n", gs.where);
		while (accept_client() < 0) {
			if (mon_quit_requested())
				return GDBSTUB_QUIT;
			poll(&p, 1, 200);
		}
		return stopped(m, false);
	}
	if (!gs.watching && gs.client < 0) {
		/* The first turn of the loop: connections while it runs. */
		gs.watching = true;
		mon_events_watch_fd(gs.listen_fd);
	}
	if (!mon_events_fd_ready())
		return GDBSTUB_RUN;
	if (gs.client < 0) {
		if (accept_client() < 0) {
			mon_events_watch_fd(gs.listen_fd);
			return GDBSTUB_RUN;
		}
		return stopped(m, false);
	}
	/* The client spoke while the guest ran: Ctrl-C, or it left. */
	for (;;) {
		int c = rx_byte(0);

		if (c == RX_TIMEOUT || c == RX_QUIT)
			break;
		if (c == RX_EOF) {
			drop_client();
			return GDBSTUB_RUN;
		}
		if (c == 0x03) {
			set_stop(2, ""); /* SIGINT */
			return stopped(m, true);
		}
	}
	mon_events_watch_fd(gs.client);
	return GDBSTUB_RUN;
}

enum gdbstub_action gdbstub_debug_stop(struct machine *m)
{
	struct bt_debug_stop st = bt_debug_last_stop();
	char extra[32] = "";

	if (gs.client < 0)
		return GDBSTUB_RUN; /* gdb left; its points went with it */
	switch (st.why) {
	case BT_DEBUG_STOP_BREAK:
		/* gdb's PC is EIP and its breakpoints are linear: when CS
		 * has a base (real mode at F000:xxxx, a based code segment)
		 * a "swbreak" stop at a PC where gdb set nothing would be
		 * taken for a breakpoint it already removed, and the guest
		 * resumed unseen; a plain SIGTRAP stop is shown instead. */
		if (m->cpu.seg[X86_CS].base != 0)
			break;
		if (st.kind == BT_DEBUG_HW_BREAK ? gs.hwbreak : gs.swbreak)
			snprintf(extra, sizeof(extra), "%s:;",
				 st.kind == BT_DEBUG_HW_BREAK ? "hwbreak"
							      : "swbreak");
		break;
	case BT_DEBUG_STOP_WATCH:
		snprintf(extra, sizeof(extra), "%s:%x;",
			 st.kind == BT_DEBUG_WATCH_READ	    ? "rwatch"
			 : st.kind == BT_DEBUG_WATCH_ACCESS ? "awatch"
							    : "watch",
			 st.addr);
		break;
	case BT_DEBUG_STOP_STEP:
		break;
	}
	set_stop(5, extra);
	return stopped(m, true);
}

void gdbstub_run_ended(int status)
{
	if (gs.client < 0)
		return;
	if (gs.running) {
		char w[8];

		snprintf(w, sizeof(w), "W%02x", status & 0xff);
		put_str(w);
	}
	close(gs.client);
	gs.client = -1;
}
