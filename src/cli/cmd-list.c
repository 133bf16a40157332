/* cmd-list.c - `virtdeck list [--json]`: every guest with allocation against real use. */
#include <getopt.h>
#include <json-c/json.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ui/columns.h"

/* The longest window behind the CPU figures shown, 0 when there are none. */
static double list_window_s(const struct vd_registry *reg, const struct vd_view *v)
{
	double w = 0;
	for (size_t i = 0; i < v->n; i++)
		if (reg->guests[v->idx[i]].cpu_window_s > w)
			w = reg->guests[v->idx[i]].cpu_window_s;
	return w;
}

static void list_text(const struct vd_registry *reg, const struct vd_view *v)
{
	ui_columns_print(stdout, NULL);
	for (size_t i = 0; i < v->n; i++)
		ui_columns_print(stdout, &reg->guests[v->idx[i]]);
	double w = list_window_s(reg, v);
	if (w > 0 && isatty(STDOUT_FILENO)) /* for people; scripts read the table or --json */
		printf("CPU%%: share of the allocation used over the last %.1f s, read and timed "
		       "by each engine\n", w);
}

static void list_json(const struct vd_registry *reg, const struct vd_view *v)
{
	struct json_object *root = json_object_new_object();
	struct json_object *host = json_object_new_object();
	json_object_object_add(host, "hostname", json_object_new_string(reg->host.hostname));
	json_object_object_add(host, "cpus", json_object_new_int((int)reg->host.ncpus));
	json_object_object_add(host, "mem_total_bytes",
			       json_object_new_int64((int64_t)reg->host.mem_total));
	json_object_object_add(root, "host", host);
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < v->n; i++)
		json_object_array_add(arr, ui_guest_json(&reg->guests[v->idx[i]]));
	json_object_object_add(root, "guests", arr);
	struct json_object *lost = json_object_new_array();
	for (size_t i = 0; i < reg->n_backends; i++)
		if (reg->backends[i]->lost && reg->backends[i]->last_error)
			json_object_array_add(lost, json_object_new_string(reg->backends[i]->last_error->msg));
	for (size_t i = 0; i < reg->n_guests; i++)
		if (reg->guests[i].problem[0])
			json_object_array_add(lost, json_object_new_string(reg->guests[i].problem));
	json_object_object_add(root, "errors", lost);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
	json_object_put(root);
}

int vd_cmd_list(struct vd_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		VD_CLI_GLOBAL_LONGOPTS, { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 },
	};
	bool json = false;
	int c, code = 0;
	while ((c = getopt_long(argc, argv, "+j", opts, NULL)) != -1) {
		if (vd_cli_global_opt(cli, c, optarg, &code))
			continue;
		if (c != 'j')
			return vd_cli_usage("list: unknown option '%s'", argv[optind - 1]);
		json = true;
	}
	if (optind < argc)
		return vd_cli_usage("list: unexpected argument '%s'", argv[optind]);
	vd_cli_open(cli, false);
	/* One reading per guest, no waiting: each engine sends with it the reading it kept a
	 * second or more before, and CPU% is measured between the two (cpu_window_s). */
	int lost = vd_registry_refresh(&cli->reg);
	struct vd_view v;
	vd_model_view(&cli->reg, NULL, VD_SORT_NAME, false, &v);
	if (json)
		list_json(&cli->reg, &v);
	else
		list_text(&cli->reg, &v);
	for (size_t i = 0; !json && i < v.n; i++)
		if (cli->reg.guests[v.idx[i]].problem[0])
			fprintf(stderr, "virtdeck: %s\n", cli->reg.guests[v.idx[i]].problem);
	vd_view_free(&v);
	for (size_t i = 0; !json && i < cli->reg.n_backends; i++)
		if (cli->reg.backends[i]->lost)
			fprintf(stderr, "virtdeck: %s\n", cli->reg.backends[i]->last_error->msg);
	if (!json)
		vd_cli_print_problems(&cli->reg);
	return lost && (size_t)lost == cli->reg.n_backends ? VD_EXIT_FAIL : VD_EXIT_OK;
}
