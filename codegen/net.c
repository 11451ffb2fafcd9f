/* net.c - code for socket_cookie(sk) (stdlib/net.c). */
#include "cg.h"

LLVMValueRef cg_fn_socket_cookie(struct cg *cg, struct node *n)
{
	LLVMValueRef sk = cg_expr(cg, n->args);
	if (!sk)
		return cg_const(cg, 0);
	return cg_helper(cg, HELPER_GET_SOCKET_COOKIE, cg->i64, &sk, 1);
}
