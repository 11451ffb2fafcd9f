/* stmt.c - statements: expression statements, assignments to scratch
 * variables and maps (plain, compound, aggregations), if/else and blocks;
 * loops, jumps and let are in loops.c.
 *
 * Each statement sets the debug location to its own script line (so verifier
 * messages point at it) and returns its temporaries to the pool. */
#include "cg.h"

LLVMValueRef cg_var_slot(struct cg *cg, struct node *var)
{
	if (!var->var || var->var->index < 0 || var->var->index >= cg->nvars ||
	    !cg->vars[var->var->index]) {
		cg_error(cg, var->loc, "internal error: unresolved variable %s", var->name);
		return NULL;
	}
	return cg->vars[var->var->index];
}

/* old op= v: pointers step by their pointee, integers as C does */
static LLVMValueRef compound(struct cg *cg, struct node *n, LLVMValueRef old, LLVMValueRef v,
			     const struct type *to, const struct type *rhs)
{
	int op = n->op;
	if (to->kind == TY_PTR && (op == OP_ADD || op == OP_SUB)) {
		LLVMValueRef delta = LLVMBuildMul(cg->b, v, cg_const(cg, to->elem->size ? to->elem->size : 1), "");
		return op == OP_SUB ? LLVMBuildSub(cg->b, old, delta, "") : LLVMBuildAdd(cg->b, old, delta, "");
	}
	return cg_binop(cg, op, old, v, to, rhs, to, n->run_warning);
}

void cg_assign_var(struct cg *cg, struct node *n)
{
	struct node *lhs = n->lhs;
	LLVMValueRef slot = cg_var_slot(cg, lhs);
	if (!slot)
		return;
	const struct type *vt = lhs->var->type;
	LLVMValueRef v = cg_expr(cg, n->rhs);
	if (!v)
		return;
	if (!type_is_scalar(vt)) {
		if (n->op != OP_NONE) {
			cg_error(cg, n->loc, "internal error: compound assignment to %s", lhs->name);
			return;
		}
		/* the slot may hold a longer value from another assignment: zero
		 * what this one does not write */
		cg_zero(cg, slot, cg_round8(vt->size));
		cg_store(cg, slot, vt, v, n->rhs->type);
		return;
	}
	if (n->op != OP_NONE) {
		LLVMValueRef old = LLVMBuildLoad2(cg->b, cg->i64, slot, "");
		LLVMSetAlignment(old, 8);
		v = compound(cg, n, old, v, vt, n->rhs->type);
	}
	LLVMSetAlignment(LLVMBuildStore(cg->b, cg_normalize(cg, v, vt), slot), 8);
}

static void assign_map(struct cg *cg, struct node *n)
{
	struct node *lhs = n->lhs;
	struct map_info *m = lhs->map;
	if (!m) {
		cg_error(cg, lhs->loc, "internal error: unresolved map %s", lhs->name);
		return;
	}
	struct node *rhs = n->rhs;
	if (n->op == OP_NONE && rhs->kind == N_CALL && rhs->func && rhs->func->kind == FN_AGG) {
		rhs->func->agg->update(cg, n);
		return;
	}
	if (m->kind != MAP_PLAIN) {
		/* @count_map += v: in place, like the aggregation itself */
		LLVMValueRef v = cg_expr(cg, rhs);
		if (!v)
			return;
		if (n->op == OP_SUB)
			v = LLVMBuildNeg(cg->b, v, "");
		else if (n->op != OP_ADD) {
			cg_error(cg, n->loc, "only += and -= can change aggregation %s", m->name);
			return;
		}
		cg_agg_add(cg, m, cg_map_key(cg, m, lhs->args, NULL), v);
		return;
	}
	LLVMValueRef key = cg_map_key(cg, m, lhs->args, NULL);
	LLVMValueRef v = cg_expr(cg, rhs);
	if (!v)
		return;
	const struct type *t = rhs->type;
	if (n->op != OP_NONE) {
		LLVMValueRef old = cg_map_read_key_at(cg, m, key, lhs->loc);
		v = compound(cg, n, old, v, m->value, rhs->type);
		t = m->value;
	}
	cg_map_write_key(cg, m, key, v, t);
}

static void emit_if(struct cg *cg, struct node *n)
{
	int mark = cg_temp_mark(cg);
	LLVMValueRef cond = cg_truth(cg, n->cond);
	cg_temp_release(cg, mark);
	LLVMBasicBlockRef then_bb = cg_block(cg, "if_then");
	LLVMBasicBlockRef else_bb = n->els ? cg_block(cg, "if_else") : NULL;
	LLVMBasicBlockRef done = cg_block(cg, "if_end");
	LLVMBuildCondBr(cg->b, cond, then_bb, else_bb ? else_bb : done);

	LLVMPositionBuilderAtEnd(cg->b, then_bb);
	cg_stmt(cg, n->then);
	LLVMBuildBr(cg->b, done);
	if (else_bb) {
		LLVMPositionBuilderAtEnd(cg->b, else_bb);
		cg_stmt(cg, n->els);
		LLVMBuildBr(cg->b, done);
	}
	LLVMPositionBuilderAtEnd(cg->b, done);
}

void cg_stmt(struct cg *cg, struct node *n)
{
	if (!n)
		return;
	int mark = cg_temp_mark(cg);
	cg_set_loc(cg, n->loc);
	switch (n->kind) {
	case N_EXPR_STMT:
		if (n->lhs)
			cg_expr(cg, n->lhs);
		break;
	case N_ASSIGN:
		if (n->lhs->kind == N_VAR)
			cg_assign_var(cg, n);
		else if (n->lhs->kind == N_MAP)
			assign_map(cg, n);
		else
			cg_error(cg, n->loc, "cannot assign to this expression");
		break;
	case N_IF:
		emit_if(cg, n);
		break;
	case N_BLOCK:
		cg_block_stmts(cg, n->body);
		break;
	case N_LET: case N_WHILE: case N_UNROLL: case N_FOR: case N_BREAK: case N_CONTINUE:
	case N_RETURN:
		cg_flow_stmt(cg, n);
		break;
	default:
		/* an expression used as a statement without a wrapper */
		cg_expr(cg, n);
		break;
	}
	cg_temp_release(cg, mark);
}

void cg_block_stmts(struct cg *cg, struct node *first)
{
	for (struct node *s = first; s; s = s->next)
		cg_stmt(cg, s);
}
