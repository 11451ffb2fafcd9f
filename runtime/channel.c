/* channel.c - output channels: kernel-to-user paths besides the ring
 * buffer (include/desc.h), for helpers that write only to a map of their
 * own kind. The run opens the channels the script writes to, watches their
 * fds in its epoll set, drains them each time it wakes and closes them
 * once the probes are detached. A new channel is a reader file and a row
 * here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <bpf/libbpf.h>

#include "run_internal.h"
#include "util.h"

static const struct rt_channel *const channel_readers[DESC_NCHANNELS] = {
	[DESC_CHANNEL_SKBOUTPUT] = &rt_channel_skboutput,
};

int rt_channels_open(struct rt_channels *cs, const struct desc *d, const struct rt_options *o,
		     struct bpf_object *obj)
{
	memset(cs, 0, sizeof(*cs));
	for (int k = 0; k < DESC_NCHANNELS; k++) {
		const struct desc_channel *chan = &d->channels[k];
		if (!chan->map_name || chan->ncalls == 0)
			continue;
		const struct rt_channel *reader = channel_readers[k];
		struct bpf_map *map = bpf_object__find_map_by_name(obj, chan->map_name);
		if (!map) {
			fprintf(stderr, "sonde: internal error: no map %s in the object\n", chan->map_name);
			rt_channels_close(cs);
			return -1;
		}
		struct rt_channel_ctx ctx = { d, chan, o, map };
		cs->state[k] = xcalloc(1, reader->state_size);
		if (reader->open(cs->state[k], &ctx) < 0) {
			rt_channels_close(cs);
			return -1;
		}
	}
	return 0;
}

int rt_channels_watch(const struct rt_channels *cs, int epfd)
{
	for (int k = 0; k < DESC_NCHANNELS; k++) {
		int fd = cs->state[k] ? channel_readers[k]->epoll_fd(cs->state[k]) : -1;
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
		if (fd >= 0 && epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			fprintf(stderr, "sonde: epoll_ctl: cannot watch %s: %s\n", channel_readers[k]->what,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

void rt_channels_drain(struct rt_channels *cs)
{
	for (int k = 0; k < DESC_NCHANNELS; k++)
		if (cs->state[k])
			channel_readers[k]->drain(cs->state[k]);
}

void rt_channels_close(struct rt_channels *cs)
{
	for (int k = 0; k < DESC_NCHANNELS; k++) {
		if (!cs->state[k])
			continue;
		channel_readers[k]->close(cs->state[k]);
		free(cs->state[k]);
		cs->state[k] = NULL;
	}
}
