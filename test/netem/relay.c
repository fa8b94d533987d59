// A user-space netem between two network namespaces, for kernels built
// without sch_netem (this machine's: CONFIG_NET_SCH_NETEM is not set, and
// `tc qdisc add ... netem` answers "Specified qdisc kind is unknown").
//
// It opens a TUN device (IFF_TUN | IFF_NO_PI) inside each of two named network
// namespaces (/run/netns/NAME, as `ip netns add` makes them), prints "ready"
// and then moves every IP packet the kernel of one side routes into its TUN
// device to the other side's, through an impairment per direction, the way
// netem models them:
//   loss=P        drop P % of packets (uniform)
//   delay=MS      hold every packet MS milliseconds ...
//   jitter=MS     ... plus a uniform value in [-MS, +MS] (packets overtake
//                 each other when jitter exceeds the gap between them)
//   reorder=P     P % of packets skip the delay (netem's "reorder P%": they
//                 overtake the delayed ones)
//   dup=P         P % of packets are delivered twice
//   limit=N       at most N packets held (netem's default 1000); more: dropped
// A rate limit and the MTU are the kernel's (tc tbf, `ip link set mtu`) on the
// TUN devices. The devices are not persistent: they go when this process
// ends, and it ends with its parent (PR_SET_PDEATHSIG) or on EOF on stdin,
// printing its counters as one JSON line first ("stats" on stdin prints them
// without ending).
//
//   relay NS_A NS_B DEV "a2b opts" "b2a opts" SEED
//   e.g. relay ns-a ns-b tn0 "loss=5,delay=25,jitter=5" "loss=5,delay=25,jitter=5" 1
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  double loss, delay_ms, jitter_ms, reorder, dup;
  long limit;
} Impair;

typedef struct {
  uint64_t at, seq;
  int len;
  unsigned char *buf;
} Item;

typedef struct {
  Impair im;
  int in_fd, out_fd;
  Item *heap;
  long n, cap;
  uint64_t seq;
  unsigned short rng[3];
  // counters
  uint64_t pkts, bytes, lost, overlimit, duplicated, reordered, delivered, delivered_bytes, fragments, max_len, max_held, small;
} Dir;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void parse(const char *s, Impair *im) {
  memset(im, 0, sizeof *im);
  im->limit = 1000;
  char *copy = strdup(s), *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(tok, '=');
    if (!eq) continue;
    *eq = 0;
    double v = atof(eq + 1);
    if (!strcmp(tok, "loss")) im->loss = v / 100.0;
    else if (!strcmp(tok, "delay")) im->delay_ms = v;
    else if (!strcmp(tok, "jitter")) im->jitter_ms = v;
    else if (!strcmp(tok, "reorder")) im->reorder = v / 100.0;
    else if (!strcmp(tok, "dup")) im->dup = v / 100.0;
    else if (!strcmp(tok, "limit")) im->limit = (long)v;
    else if (!strcmp(tok, "none")) continue;
    else { fprintf(stderr, "relay: unknown option %s\n", tok); exit(2); }
  }
  free(copy);
}

static int before(const Item *a, const Item *b) { return a->at < b->at || (a->at == b->at && a->seq < b->seq); }

static void push(Dir *d, Item it) {
  if (d->n == d->cap) {
    d->cap = d->cap ? d->cap * 2 : 1024;
    d->heap = realloc(d->heap, (size_t)d->cap * sizeof(Item));
  }
  long i = d->n++;
  while (i > 0) {
    long p = (i - 1) / 2;
    if (!before(&it, &d->heap[p])) break;
    d->heap[i] = d->heap[p];
    i = p;
  }
  d->heap[i] = it;
  if ((uint64_t)d->n > d->max_held) d->max_held = (uint64_t)d->n;
}

static Item pop(Dir *d) {
  Item top = d->heap[0], last = d->heap[--d->n];
  long i = 0;
  for (;;) {
    long l = 2 * i + 1, r = l + 1, m = i;
    const Item *best = &last;
    if (l < d->n && before(&d->heap[l], best)) { m = l; best = &d->heap[l]; }
    if (r < d->n && before(&d->heap[r], best)) m = r;
    if (m == i) break;
    d->heap[i] = d->heap[m];
    i = m;
  }
  if (d->n > 0) d->heap[i] = last;
  return top;
}

static void schedule(Dir *d, const unsigned char *pkt, int len, uint64_t now, int skip_delay) {
  if (d->n >= d->im.limit) { d->overlimit++; return; }
  double ms = skip_delay ? 0 : d->im.delay_ms;
  if (!skip_delay && d->im.jitter_ms > 0) ms += (erand48(d->rng) * 2 - 1) * d->im.jitter_ms;
  if (ms < 0) ms = 0;
  Item it = { now + (uint64_t)(ms * 1e6), d->seq++, len, malloc((size_t)len) };
  memcpy(it.buf, pkt, (size_t)len);
  push(d, it);
}

static void arrive(Dir *d, const unsigned char *pkt, int len, uint64_t now) {
  d->pkts++;
  d->bytes += (uint64_t)len;
  if ((uint64_t)len > d->max_len) d->max_len = (uint64_t)len;
  if (len < 200) d->small++;
  // IPv4 fragment (more-fragments flag or a non-zero offset): a datagram bigger than the MTU was sent.
  if (len >= 20 && (pkt[0] >> 4) == 4 && (((pkt[6] & 0x3f) << 8) | pkt[7] | (pkt[6] & 0x20))) d->fragments++;
  if (d->im.loss > 0 && erand48(d->rng) < d->im.loss) { d->lost++; return; }
  int skip = d->im.reorder > 0 && erand48(d->rng) < d->im.reorder;
  if (skip) d->reordered++;
  schedule(d, pkt, len, now, skip);
  if (d->im.dup > 0 && erand48(d->rng) < d->im.dup) {
    d->duplicated++;
    schedule(d, pkt, len, now, skip);
  }
}

static void release(Dir *d, uint64_t now) {
  while (d->n > 0 && d->heap[0].at <= now) {
    Item it = pop(d);
    if (write(d->out_fd, it.buf, (size_t)it.len) == it.len) {
      d->delivered++;
      d->delivered_bytes += (uint64_t)it.len;
    }
    free(it.buf);
  }
}

static void print_dir(const char *name, const Dir *d, int last) {
  printf("\"%s\":{\"packets\":%llu,\"bytes\":%llu,\"lost\":%llu,\"overLimit\":%llu,\"duplicated\":%llu,\"reordered\":%llu,"
         "\"delivered\":%llu,\"deliveredBytes\":%llu,\"fragments\":%llu,\"maxLen\":%llu,\"maxHeld\":%llu,\"small\":%llu}%s",
         name, (unsigned long long)d->pkts, (unsigned long long)d->bytes, (unsigned long long)d->lost,
         (unsigned long long)d->overlimit, (unsigned long long)d->duplicated, (unsigned long long)d->reordered,
         (unsigned long long)d->delivered, (unsigned long long)d->delivered_bytes, (unsigned long long)d->fragments,
         (unsigned long long)d->max_len, (unsigned long long)d->max_held, (unsigned long long)d->small, last ? "" : ",");
}

static void print_stats(const Dir *ab, const Dir *ba) {
  printf("{");
  print_dir("a2b", ab, 0);
  print_dir("b2a", ba, 1);
  printf("}\n");
  fflush(stdout);
}

static int open_tun_in(const char *ns, const char *dev, int home) {
  char path[512];
  snprintf(path, sizeof path, "/run/netns/%s", ns);
  int nsfd = open(path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) { perror(path); exit(3); }
  close(nsfd);
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) { perror("/dev/net/tun"); exit(3); }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  strncpy(ifr.ifr_name, dev, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("TUNSETIFF"); exit(3); }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (setns(home, CLONE_NEWNET) < 0) { perror("setns home"); exit(3); }
  return fd;
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: relay NS_A NS_B DEV A2B_OPTS B2A_OPTS SEED\n");
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 4;  // the parent is already gone
  signal(SIGPIPE, SIG_IGN);
  int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) { perror("/proc/self/ns/net"); return 3; }
  int fa = open_tun_in(argv[1], argv[3], home);
  int fb = open_tun_in(argv[2], argv[3], home);
  Dir ab, ba;
  memset(&ab, 0, sizeof ab);
  memset(&ba, 0, sizeof ba);
  parse(argv[4], &ab.im);
  parse(argv[5], &ba.im);
  unsigned long seed = strtoul(argv[6], NULL, 10);
  ab.rng[0] = (unsigned short)seed; ab.rng[1] = (unsigned short)(seed >> 16); ab.rng[2] = 0x1234;
  ba.rng[0] = (unsigned short)seed; ba.rng[1] = (unsigned short)(seed >> 16); ba.rng[2] = 0x4321;
  ab.in_fd = fa; ab.out_fd = fb;
  ba.in_fd = fb; ba.out_fd = fa;
  printf("ready\n");
  fflush(stdout);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  static unsigned char pkt[65536];
  char cmd[256];
  for (;;) {
    uint64_t now = now_ns();
    release(&ab, now);
    release(&ba, now);
    uint64_t next = UINT64_MAX;
    if (ab.n) next = ab.heap[0].at;
    if (ba.n && ba.heap[0].at < next) next = ba.heap[0].at;
    struct timespec ts, *tsp = NULL;
    if (next != UINT64_MAX) {
      uint64_t wait = next > now ? next - now : 0;
      ts.tv_sec = (time_t)(wait / 1000000000ull);
      ts.tv_nsec = (long)(wait % 1000000000ull);
      tsp = &ts;
    }
    struct pollfd p[3] = { { fa, POLLIN, 0 }, { fb, POLLIN, 0 }, { 0, POLLIN, 0 } };
    int r = ppoll(p, 3, tsp, NULL);
    if (r < 0 && errno != EINTR) { perror("ppoll"); return 5; }
    now = now_ns();
    for (int k = 0; k < 2; k++) {
      if (!(p[k].revents & POLLIN)) continue;
      Dir *d = k == 0 ? &ab : &ba;
      for (int i = 0; i < 256; i++) {
        ssize_t n = read(d->in_fd, pkt, sizeof pkt);
        if (n <= 0) break;
        arrive(d, pkt, (int)n, now);
      }
    }
    if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(0, cmd, sizeof cmd);
      if (n <= 0) { print_stats(&ab, &ba); return 0; }
      if (memmem(cmd, (size_t)n, "stats", 5)) print_stats(&ab, &ba);
      if (memmem(cmd, (size_t)n, "quit", 4)) { print_stats(&ab, &ba); return 0; }
    }
  }
}
