/* guestforms.c - the create-from-template and resize forms, and the jobs they submit. */
#include "ui/guestforms.h"

#include <errno.h>

struct ui_template {
	const char *name;
	enum vd_kind kind;
	const char *memory;
	const char *cpus;  /* containers: CPU quota */
	const char *vcpus; /* VMs */
};

static const struct ui_template ui_templates[] = {
	{ "container: small (256M, 0.5 CPU)", VD_KIND_CT, "256M", "0.5", "" },
	{ "container: web (512M, 1 CPU)", VD_KIND_CT, "512M", "1", "" },
	{ "container: worker (1G, 2 CPUs)", VD_KIND_CT, "1G", "2", "" },
	{ "vm: tiny (256M, 1 vCPU)", VD_KIND_VM, "256M", "", "1" },
	{ "vm: small (1G, 2 vCPUs)", VD_KIND_VM, "1G", "", "2" },
	{ "vm: medium (4G, 4 vCPUs)", VD_KIND_VM, "4G", "", "4" },
};

static const struct ui_template *forms_template(const char *name)
{
	for (size_t i = 0; i < VD_ARRAY_SIZE(ui_templates); i++)
		if (vd_streq(ui_templates[i].name, name))
			return &ui_templates[i];
	return NULL;
}

static void forms_template_changed(struct ui_form *form, size_t field)
{
	if (!vd_streq(form->f[field].label, "template"))
		return;
	const struct ui_template *t = forms_template(form->f[field].value);
	if (!t)
		return;
	ui_form_set(form, "memory", t->memory);
	ui_form_set(form, "cpus", t->cpus);
	ui_form_set(form, "vcpus", t->vcpus);
}

/* The engine named in the form ("ct", "fake@demo"). */
static struct vd_backend *forms_backend(struct ui_app *app, const char *label)
{
	for (size_t i = 0; i < app->reg->n_backends; i++) {
		struct vd_backend *be = app->reg->backends[i];
		char name[96];
		snprintf(name, sizeof(name), "%s@%s", vd_backend_name(be), be->label);
		if (vd_streq(name, label))
			return be;
	}
	return NULL;
}

static int forms_fail(struct ui_form *form, const char *fmt, ...) VD_PRINTF(2, 3);
static int forms_fail(struct ui_form *form, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(form->error, sizeof(form->error), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void forms_add_opt(struct vd_job *job, size_t *n, const char *key, const char *value)
{
	if (!*value)
		return;
	job->def_opts = vd_xrealloc(job->def_opts, (*n + 2) * sizeof(char *));
	job->def_opts[(*n)++] = vd_xasprintf("%s=%s", key, value);
	job->def_opts[*n] = NULL;
}

/* Parse the size fields shared by both forms into a job; < 0 with form->error on bad input. */
static int forms_sizes(struct ui_form *form, struct vd_job *job, uint64_t *mem, double *cpus,
		       unsigned *vcpus)
{
	const char *m = ui_form_value(form, "memory"), *c = ui_form_value(form, "cpus"),
		   *v = ui_form_value(form, "vcpus");
	uint64_t u = 0;
	if (*m && (vd_parse_size(m, mem) < 0 || *mem < (16ull << 20)))
		return forms_fail(form, "memory '%s': give a size of at least 16M, like 256M or 2G", m);
	if (*c && (vd_parse_double(c, cpus) < 0 || *cpus < 0.01 || *cpus > 1024))
		return forms_fail(form, "cpus '%s': give a CPU quota like 0.5 or 2", c);
	if (*v && (vd_parse_u64(v, &u) < 0 || u < 1 || u > 256))
		return forms_fail(form, "vcpus '%s': give a whole number from 1 to 256", v);
	*vcpus = (unsigned)u;
	return 0;
}

static int forms_create_submit(struct ui_app *app, struct ui_form *form)
{
	struct vd_backend *be = forms_backend(app, ui_form_value(form, "engine"));
	const struct ui_template *t = forms_template(ui_form_value(form, "template"));
	const char *name = ui_form_value(form, "name");
	if (!be)
		return forms_fail(form, "%s", "no engine here can create guests");
	if (!vd_name_valid(name))
		return forms_fail(form, "name '%s': use 1-63 letters, digits, '_', '.', '-'", name);
	_cleanup_(vd_jobp) struct vd_job *job = vd_xcalloc(1, sizeof(*job));
	job->op = VD_JOB_CREATE;
	job->be = be;
	vd_strlcpy(job->name, name, sizeof(job->name));
	job->def.kind = t ? t->kind : VD_KIND_CT;
	if (forms_sizes(form, job, &job->def.mem_bytes, &job->def.cpus, &job->def.vcpus) < 0)
		return -EINVAL;
	size_t n = 0;
	static const char *const keys[] = { "rootfs", "kernel", "initrd", "disk" };
	for (size_t i = 0; i < VD_ARRAY_SIZE(keys); i++)
		forms_add_opt(job, &n, keys[i], ui_form_value(form, keys[i]));
	ui_app_submit(app, TAKE_PTR(job));
	return 0;
}

int ui_forms_create(struct ui_app *app)
{
	struct ui_form *form = &app->form;
	memset(form, 0, sizeof(*form));
	snprintf(form->title, sizeof(form->title), "Create a guest from a template");
	static char engines[UI_FORM_CHOICES][96];
	const char *choices[UI_FORM_CHOICES];
	size_t n = 0;
	for (size_t i = 0; i < app->reg->n_backends && n < UI_FORM_CHOICES; i++) {
		struct vd_backend *be = app->reg->backends[i];
		if (!be->ops->create)
			continue;
		snprintf(engines[n], sizeof(engines[n]), "%s@%s", vd_backend_name(be), be->label);
		choices[n] = engines[n];
		n++;
	}
	if (!n) {
		ui_app_log(app, UI_WARN, "no engine here can create guests");
		return UI_REACT_REDRAW;
	}
	ui_form_add_choice(form, "engine", choices, n);
	const char *tnames[VD_ARRAY_SIZE(ui_templates)];
	for (size_t i = 0; i < VD_ARRAY_SIZE(ui_templates); i++)
		tnames[i] = ui_templates[i].name;
	ui_form_add_choice(form, "template", tnames, VD_ARRAY_SIZE(ui_templates));
	ui_form_add(form, "name", "", "1-63 letters, digits, '_', '.', '-'");
	ui_form_add(form, "memory", "", "memory limit (container) or RAM (VM): 256M, 2G");
	ui_form_add(form, "cpus", "", "container CPU quota in CPUs: 0.5, 2 (empty: none)");
	ui_form_add(form, "vcpus", "", "vCPUs of a VM");
	ui_form_add(form, "rootfs", "",
		    "container root filesystem directory (data/mkrootfs-busybox.sh makes one)");
	ui_form_add(form, "kernel", "", "VM kernel: bzImage or vmlinux");
	ui_form_add(form, "initrd", "", "VM initramfs (optional)");
	ui_form_add(form, "disk", "", "VM raw disk image (optional)");
	form->changed = forms_template_changed;
	form->submit = forms_create_submit;
	forms_template_changed(form, 1);
	form->focus = 2;
	app->screen = UI_SCREEN_FORM;
	return UI_REACT_REDRAW;
}

static int forms_resize_submit(struct ui_app *app, struct ui_form *form)
{
	_cleanup_(vd_jobp) struct vd_job *job = vd_xcalloc(1, sizeof(*job));
	job->op = VD_JOB_RESIZE;
	job->be = app->form_be;
	vd_strlcpy(job->name, app->form_guest, sizeof(job->name));
	job->resize.flags = VD_RESIZE_LIVE | VD_RESIZE_CONFIG;
	if (forms_sizes(form, job, &job->resize.mem_bytes, &job->resize.cpus, &job->resize.vcpus) < 0)
		return -EINVAL;
	ui_app_submit(app, TAKE_PTR(job));
	return 0;
}

int ui_forms_resize(struct ui_app *app, const struct vd_guest *g)
{
	struct ui_form *form = &app->form;
	memset(form, 0, sizeof(*form));
	snprintf(form->title, sizeof(form->title), "Resize %s %s (live)", vd_kind_name(g->kind), g->name);
	app->form_be = g->backend;
	vd_strlcpy(app->form_guest, g->name, sizeof(app->form_guest));
	char mem[32] = "", cpus[32] = "", vcpus[32] = "";
	if (g->alloc.mem_bytes)
		snprintf(mem, sizeof(mem), "%lluM", (unsigned long long)(g->alloc.mem_bytes >> 20));
	if (g->alloc.cpu_limit > 0)
		snprintf(cpus, sizeof(cpus), "%g", g->alloc.cpu_limit);
	if (g->kind == VD_KIND_VM && g->alloc.vcpus)
		snprintf(vcpus, sizeof(vcpus), "%u", g->alloc.vcpus);
	char used[16];
	snprintf(form->hint_buf, sizeof(form->hint_buf), "new memory size; it now really uses %s",
		 vd_format_size(g->sample.mem_used, used, sizeof(used)));
	ui_form_add(form, "memory", mem, form->hint_buf);
	if (g->kind == VD_KIND_CT)
		ui_form_add(form, "cpus", cpus, "CPU quota in CPUs (0.5, 2)");
	else
		ui_form_add(form, "vcpus", vcpus, "vCPUs online");
	form->submit = forms_resize_submit;
	app->screen = UI_SCREEN_FORM;
	return UI_REACT_REDRAW;
}
