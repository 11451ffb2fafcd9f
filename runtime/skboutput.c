/* skboutput.c - the packets of skboutput(path, skb, len, offset) calls,
 * written to pcap files as bpftrace writes them: an output channel
 * (channel.c).
 *
 * bpf_skb_output sends a sample to a perf event array (the channel's map;
 * the helper can write nowhere else): struct skb_sample_hdr, then the
 * packet's first `len` bytes. Each CPU's perf buffer has perf_rb_pages
 * pages (BPFTRACE_PERF_RB_PAGES or the config block), as bpftrace's perf
 * buffers, and its default 64 when not set.
 *
 * Each call's file is libpcap's classic format (microsecond timestamps,
 * link type RAW: IP with no link header, snap length 65535), opened
 * (truncated) before the probes attach; the timestamp is the wall-clock
 * time of the sample's nanoseconds since boot. Calls naming the same file
 * share it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "run_internal.h"
#include "runtime.h"
#include "util.h"

#define SKB_PERF_PAGES 64      /* bpftrace's perf_rb_pages default: bursts of full-size packets */
#define PCAP_LINKTYPE_RAW 101  /* libpcap's DLT_RAW as written in files */
#define PCAP_SNAPLEN 65535

struct rt_skb {
	const struct desc_channel *chan;
	struct perf_buffer *pb;
	FILE **files; /* per call (shared by calls naming the same path) */
	uint32_t pages;
	uint64_t boot_wall_ns;
	uint64_t lost;
	bool write_failed;
};

struct pcap_file_hdr {
	uint32_t magic;
	uint16_t version_major, version_minor;
	int32_t thiszone;
	uint32_t sigfigs, snaplen, linktype;
};

struct pcap_rec_hdr {
	uint32_t ts_sec, ts_usec, caplen, len;
};

/* Wall-clock nanoseconds at boot: what turns a boot-time stamp into a date. */
static uint64_t boot_wall_ns(void)
{
	struct timespec wall, boot;
	clock_gettime(CLOCK_REALTIME, &wall);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	return ((uint64_t)wall.tv_sec - (uint64_t)boot.tv_sec) * 1000000000ull + (uint64_t)wall.tv_nsec -
	       (uint64_t)boot.tv_nsec;
}

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	(void)cpu;
	struct rt_skb *k = ctx;
	struct skb_sample_hdr h;
	if (size < sizeof(h))
		return;
	memcpy(&h, data, sizeof(h));
	if (h.id >= (uint64_t)k->chan->ncalls)
		return;
	uint64_t offset = k->chan->calls[h.id].num;
	size_t bytes = size - sizeof(h);
	if (offset >= bytes)
		return; /* nothing to dump (bpftrace skips it too) */
	bytes -= (size_t)offset;
	uint64_t ns = k->boot_wall_ns + h.boot_ns;
	struct pcap_rec_hdr r = { (uint32_t)(ns / 1000000000ull), (uint32_t)(ns % 1000000000ull / 1000),
				  (uint32_t)bytes, (uint32_t)bytes };
	FILE *f = k->files[h.id];
	if (fwrite(&r, sizeof(r), 1, f) != 1 ||
	    fwrite((const char *)data + sizeof(h) + offset, 1, bytes, f) != bytes)
		k->write_failed = true;
}

static void on_lost(void *ctx, int cpu, __u64 n)
{
	(void)cpu;
	((struct rt_skb *)ctx)->lost += n;
}

/* The file of call i, opened by an earlier call with the same path or now. */
static FILE *open_pcap(struct rt_skb *k, int i)
{
	const char *path = k->chan->calls[i].text;
	for (int j = 0; j < i; j++)
		if (strcmp(k->chan->calls[j].text, path) == 0)
			return k->files[j];
	FILE *f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "sonde: skboutput: cannot create '%s': %s\n", path, strerror(errno));
		return NULL;
	}
	struct pcap_file_hdr h = { 0xa1b2c3d4u, 2, 4, 0, 0, PCAP_SNAPLEN, PCAP_LINKTYPE_RAW };
	if (fwrite(&h, sizeof(h), 1, f) != 1 || fflush(f) != 0) {
		fprintf(stderr, "sonde: skboutput: cannot write '%s'\n", path);
		fclose(f);
		return NULL;
	}
	return f;
}

static int skb_open(void *state, const struct rt_channel_ctx *c)
{
	struct rt_skb *k = state;
	k->chan = c->chan;
	k->pages = c->o->ringbuf_pages ? c->o->ringbuf_pages : SKB_PERF_PAGES;
	k->files = xcalloc((size_t)k->chan->ncalls, sizeof(*k->files));
	for (int i = 0; i < k->chan->ncalls; i++)
		if (!(k->files[i] = open_pcap(k, i)))
			return -1;
	k->boot_wall_ns = boot_wall_ns();
	k->pb = perf_buffer__new(bpf_map__fd(c->map), k->pages, on_sample, on_lost, k, NULL);
	if (!k->pb) {
		fprintf(stderr, "sonde: skboutput: cannot read the packets' perf buffer (%u pages a CPU): %s\n",
			k->pages, strerror(errno));
		return -1;
	}
	return 0;
}

static int skb_epoll_fd(const void *state)
{
	const struct rt_skb *k = state;
	return k->pb ? perf_buffer__epoll_fd(k->pb) : -1;
}

static void skb_drain(void *state)
{
	struct rt_skb *k = state;
	if (k->pb)
		perf_buffer__consume(k->pb);
}

static void skb_close(void *state)
{
	struct rt_skb *k = state;
	skb_drain(k);
	perf_buffer__free(k->pb);
	k->pb = NULL;
	for (int i = 0; k->files && i < k->chan->ncalls; i++) {
		bool shared = false;
		for (int j = 0; j < i; j++)
			shared = shared || k->files[j] == k->files[i];
		if (k->files[i] && !shared && fclose(k->files[i]) != 0)
			k->write_failed = true;
	}
	if (k->write_failed)
		fprintf(stderr, "sonde: skboutput: writing a pcap file failed: packets are missing\n");
	if (k->lost)
		fprintf(stderr, "sonde: skboutput: %llu packets lost (the perf buffer has %u pages a CPU: "
				"BPFTRACE_PERF_RB_PAGES sets more)\n",
			(unsigned long long)k->lost, k->pages);
	free(k->files);
	k->files = NULL;
}

const struct rt_channel rt_channel_skboutput = {
	.what = "the skboutput perf buffer",
	.state_size = sizeof(struct rt_skb),
	.open = skb_open,
	.epoll_fd = skb_epoll_fd,
	.drain = skb_drain,
	.close = skb_close,
};
