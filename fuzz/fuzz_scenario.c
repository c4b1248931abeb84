/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: any bytes given to the scenario parser either parse or
 * are refused with a message; nothing crashes, nothing leaks. */
#include <stdlib.h>
#include <string.h>
#include "../tools/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char err[256];
	struct scenario sc;

	memcpy(text, data, size);
	text[size] = 0;
	if (scenario_parse(&sc, "fuzz.pvs", text, err, sizeof(err)) == 0)
		scenario_free(&sc);
	free(text);
	return 0;
}
