/* output_json.c - the JSON sink (placeholder until written). */
#include "output.h"

void rt_output_json(struct rt_output *o, FILE *out, FILE *err)
{
	rt_output_text(o, out, err);
}
