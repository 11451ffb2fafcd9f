/* net.c - code for socket_cookie(sk) (stdlib/net.c). */
#include "cg.h"
#include "desc.h"

LLVMValueRef cg_fn_socket_cookie(struct cg *cg, struct node *n)
{
	LLVMValueRef sk = cg_expr(cg, n->args);
	if (!sk)
		return cg_const(cg, 0);
	return cg_helper(cg, HELPER_GET_SOCKET_COOKIE, cg->i64, &sk, 1);
}

/* skboutput(path, skb, len, offset): bpf_skb_output(skb, map,
 * len << 32 | BPF_F_CURRENT_CPU, &hdr, sizeof(hdr)); the packet's first
 * len bytes follow the header in the sample. The call's id (its
 * desc.channels[DESC_CHANNEL_SKBOUTPUT] entry) is in n->index; the helper's result (0 or -errno)
 * is returned as uint32, as bpftrace. */
LLVMValueRef cg_fn_skboutput(struct cg *cg, struct node *n)
{
	struct node *path = n->args, *skb_arg = path->next, *len_arg = skb_arg->next;
	LLVMValueRef skb = cg_expr(cg, skb_arg), len = cg_expr(cg, len_arg);
	if (!skb || !len)
		return cg_const(cg, 0);
	int mark = cg_temp_mark(cg);
	LLVMValueRef hdr = cg_temp_stack(cg, (uint32_t)sizeof(struct skb_sample_hdr));
	LLVMValueRef fields[3] = { cg_const(cg, 0), cg_const(cg, (uint64_t)n->index),
				   cg_helper(cg, HELPER_KTIME_GET_BOOT_NS, cg->i64, NULL, 0) };
	for (int i = 0; i < 3; i++)
		LLVMSetAlignment(LLVMBuildStore(cg->b, fields[i], cg_ptr_add(cg, hdr, (uint64_t)i * 8)), 8);
	LLVMValueRef flags = LLVMBuildOr(cg->b, LLVMBuildShl(cg->b, len, cg_const(cg, 32), ""),
					 cg_const(cg, 0xffffffffull), "");
	LLVMValueRef args[5] = { skb, cg_channel_map(cg, DESC_CHANNEL_SKBOUTPUT), flags, hdr,
				 cg_const(cg, sizeof(struct skb_sample_hdr)) };
	LLVMValueRef ret = cg_helper(cg, HELPER_SKB_OUTPUT, cg->i64, args, 5);
	cg_temp_release(cg, mark);
	return LLVMBuildAnd(cg->b, ret, cg_const(cg, 0xffffffffull), "");
}
