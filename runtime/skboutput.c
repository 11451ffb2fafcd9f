/* skboutput.c - the packets of skboutput(path, skb, len, offset) calls,
 * written to pcap files as bpftrace writes them.
 *
 * bpf_skb_output sends a sample to a perf event array (desc.skb_perf_name;
 * the helper can write nowhere else): struct skb_sample_hdr, then the
 * packet's first `len` bytes. Each call's file is libpcap's classic format
 * (microsecond timestamps, link type RAW: IP with no link header, snap
 * length 65535), opened (truncated) before the probes attach; the
 * timestamp is the wall-clock time of the sample's nanoseconds since boot.
 * Calls naming the same file share it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "run_internal.h"
#include "util.h"

#define SKB_PERF_PAGES 64      /* per CPU: room for bursts of full-size packets */
#define PCAP_LINKTYPE_RAW 101  /* libpcap's DLT_RAW as written in files */
#define PCAP_SNAPLEN 65535

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
	if (h.id >= (uint64_t)k->desc->nskbouts)
		return;
	uint64_t offset = k->desc->skbouts[h.id].offset;
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
	for (int j = 0; j < i; j++)
		if (strcmp(k->desc->skbouts[j].path, k->desc->skbouts[i].path) == 0)
			return k->files[j];
	FILE *f = fopen(k->desc->skbouts[i].path, "wb");
	if (!f) {
		fprintf(stderr, "sonde: skboutput: cannot create '%s': %s\n", k->desc->skbouts[i].path,
			strerror(errno));
		return NULL;
	}
	struct pcap_file_hdr h = { 0xa1b2c3d4u, 2, 4, 0, 0, PCAP_SNAPLEN, PCAP_LINKTYPE_RAW };
	if (fwrite(&h, sizeof(h), 1, f) != 1 || fflush(f) != 0) {
		fprintf(stderr, "sonde: skboutput: cannot write '%s'\n", k->desc->skbouts[i].path);
		fclose(f);
		return NULL;
	}
	return f;
}

int rt_skb_open(struct rt_skb *k, const struct desc *desc, struct bpf_object *obj)
{
	memset(k, 0, sizeof(*k));
	k->desc = desc;
	if (!desc->skb_perf_name || desc->nskbouts == 0)
		return 0;
	struct bpf_map *map = bpf_object__find_map_by_name(obj, desc->skb_perf_name);
	if (!map) {
		fprintf(stderr, "sonde: internal error: no map %s in the object\n", desc->skb_perf_name);
		return -1;
	}
	k->files = xcalloc((size_t)desc->nskbouts, sizeof(*k->files));
	for (int i = 0; i < desc->nskbouts; i++)
		if (!(k->files[i] = open_pcap(k, i))) {
			rt_skb_close(k);
			return -1;
		}
	k->boot_wall_ns = boot_wall_ns();
	k->pb = perf_buffer__new(bpf_map__fd(map), SKB_PERF_PAGES, on_sample, on_lost, k, NULL);
	if (!k->pb) {
		fprintf(stderr, "sonde: skboutput: cannot read the packets' perf buffer: %s\n", strerror(errno));
		rt_skb_close(k);
		return -1;
	}
	return 0;
}

int rt_skb_epoll_fd(const struct rt_skb *k)
{
	return k->pb ? perf_buffer__epoll_fd(k->pb) : -1;
}

void rt_skb_drain(struct rt_skb *k)
{
	if (k->pb)
		perf_buffer__consume(k->pb);
}

void rt_skb_close(struct rt_skb *k)
{
	rt_skb_drain(k);
	perf_buffer__free(k->pb);
	k->pb = NULL;
	for (int i = 0; k->files && i < k->desc->nskbouts; i++) {
		bool shared = false;
		for (int j = 0; j < i; j++)
			shared = shared || k->files[j] == k->files[i];
		if (k->files[i] && !shared && fclose(k->files[i]) != 0)
			k->write_failed = true;
	}
	if (k->write_failed)
		fprintf(stderr, "sonde: skboutput: writing a pcap file failed: packets are missing\n");
	if (k->lost)
		fprintf(stderr, "sonde: skboutput: %llu packets lost (BPFTRACE_PERF_RB_PAGES is not read for them yet)\n",
			(unsigned long long)k->lost);
	free(k->files);
	k->files = NULL;
}
