/* attach_cost.c - attach + detach cost per kernel function: a perf-event kprobe
 * (what sonde and bpftrace attach on 6.1) against a BPF trampoline (fentry: one
 * program loaded per function, as sonde does), 16 vfs_* functions, 3 rounds.
 * bench/run.sh kprobe runs it (root, a kernel with kprobes and BTF). */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
static const char *fns[]={"vfs_fsync","vfs_fsync_range","vfs_getattr","vfs_statfs","vfs_truncate","vfs_rename","vfs_mkdir","vfs_rmdir","vfs_unlink","vfs_symlink","vfs_link","vfs_mknod","vfs_create","vfs_readlink","vfs_fallocate","vfs_copy_file_range"};
#define N (int)(sizeof(fns)/sizeof(fns[0]))
int main(void){
	struct btf *b=btf__load_vmlinux_btf();
	FILE *tf=fopen("/sys/bus/event_source/devices/kprobe/type","r"); int ktype=0; if(!tf||fscanf(tf,"%d",&ktype)!=1){puts("no kprobe pmu");return 1;} fclose(tf);
	struct bpf_insn ins[]={{.code=BPF_ALU64|BPF_MOV|BPF_K,.dst_reg=0,.imm=0},{.code=BPF_JMP|BPF_EXIT}};
	int kprog=bpf_prog_load(BPF_PROG_TYPE_KPROBE,"k","GPL",ins,2,NULL);
	for(int round=0;round<3;round++){
		/* kprobes */
		int kfd[N]; double t0=now();
		for(int i=0;i<N;i++){struct perf_event_attr a; memset(&a,0,sizeof a); a.size=sizeof a; a.type=ktype; a.config1=(unsigned long)fns[i];
			kfd[i]=syscall(__NR_perf_event_open,&a,-1,0,-1,PERF_FLAG_FD_CLOEXEC); if(kfd[i]<0){perror(fns[i]);continue;}
			ioctl(kfd[i],PERF_EVENT_IOC_SET_BPF,kprog); ioctl(kfd[i],PERF_EVENT_IOC_ENABLE,0);}
		double t1=now();
		for(int i=0;i<N;i++) if(kfd[i]>=0) close(kfd[i]);
		double t2=now();
		/* fentry: load (one program per function, as sonde does) + attach, then detach */
		int pf[N],lf[N]; double t3=now();
		for(int i=0;i<N;i++){int id=btf__find_by_name_kind(b,fns[i],BTF_KIND_FUNC);
			LIBBPF_OPTS(bpf_prog_load_opts,o,.attach_btf_id=id,.expected_attach_type=BPF_TRACE_FENTRY);
			pf[i]=bpf_prog_load(BPF_PROG_TYPE_TRACING,"f","GPL",ins,2,&o); lf[i]=pf[i]>=0?bpf_raw_tracepoint_open(NULL,pf[i]):-1; if(lf[i]<0)printf("fentry %s failed\n",fns[i]);}
		double t4=now();
		for(int i=0;i<N;i++){ if(lf[i]>=0)close(lf[i]); if(pf[i]>=0)close(pf[i]);}
		double t5=now();
		/* kprobe programs are loaded once per function by sonde too: time N loads */
		double t6=now(); int kp[N]; for(int i=0;i<N;i++) kp[i]=bpf_prog_load(BPF_PROG_TYPE_KPROBE,"k","GPL",ins,2,NULL); double t7=now(); for(int i=0;i<N;i++) close(kp[i]);
		printf("round %d, %d functions: kprobe attach %.1f ms detach %.1f ms (+%d loads %.1f ms) | fentry load+attach %.1f ms detach %.1f ms\n",
			round,N,t1-t0,t2-t1,N,t7-t6,t4-t3,t5-t4);
	}
	return 0;
}
