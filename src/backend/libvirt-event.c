/* libvirt-event.c - libvirt's event loop (handles and timers) run from the console's own poll(). */
#include <errno.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "backend/libvirt-priv.h"
#include "common/log.h"

/*
 * libvirt needs an event loop for keepalive, for the remote driver's async socket reads and for
 * domain events. Instead of virEventRegisterDefaultImpl() plus a thread that would run it (and
 * then call into the UI from that thread), virtdeck registers this table: libvirt adds handles
 * and timers here, the console polls their fds together with the keyboard, and dispatch runs
 * the callbacks on the console's thread. libvirt calls add/update/remove from whichever thread
 * calls its API, and a console attach runs the loop on a pump thread (libvirt-console.c), so
 * the tables are locked; callbacks run unlocked, since they re-enter the table.
 */
struct lv_handle {
	int watch, fd, events;
	virEventHandleCallback cb;
	void *opaque;
	virFreeCallback ff;
	bool deleted;
};

struct lv_timer {
	int id, ms; /* ms: -1 disabled, 0 every iteration, > 0 period */
	uint64_t due_ns;
	virEventTimeoutCallback cb;
	void *opaque;
	virFreeCallback ff;
	bool deleted;
};

#define LV_EV_MAX_FILLED 64

static struct {
	pthread_mutex_t lock;
	bool ready;
	bool pumping; /* a console pump thread runs the loop: the console's poll() stays out */
	bool driven; /* the console has asked for fds at least once */
	bool timers_ran; /* the last dispatch fired the timers: the next fill must not again */
	struct lv_handle *h;
	size_t nh;
	struct lv_timer *t;
	size_t nt;
	int next_id;
	int wakefd;
	struct lv_priv **members; /* open libvirt backends; members[0] reports the fds */
	size_t nmembers;
	int filled[LV_EV_MAX_FILLED]; /* watch ids in the order they were given to poll; -1 = wakefd */
	int nfilled;
} lv_ev = { .lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP,
	    .wakefd = -1 }; /* recursive: wake_later */

static void lv_event_lock(void)
{
	pthread_mutex_lock(&lv_ev.lock);
}

static void lv_event_unlock(void)
{
	pthread_mutex_unlock(&lv_ev.lock);
}

static int lv_event_add_handle(int fd, int events, virEventHandleCallback cb, void *opaque,
			       virFreeCallback ff)
{
	lv_event_lock();
	lv_ev.h = vd_xrealloc(lv_ev.h, (lv_ev.nh + 1) * sizeof(*lv_ev.h));
	lv_ev.h[lv_ev.nh] = (struct lv_handle){ ++lv_ev.next_id, fd, events, cb, opaque, ff, false };
	int watch = lv_ev.h[lv_ev.nh++].watch;
	lv_event_unlock();
	return watch;
}

static struct lv_handle *lv_event_handle(int watch)
{
	for (size_t i = 0; i < lv_ev.nh; i++)
		if (lv_ev.h[i].watch == watch && !lv_ev.h[i].deleted)
			return &lv_ev.h[i];
	return NULL;
}

static void lv_event_update_handle(int watch, int events)
{
	lv_event_lock();
	struct lv_handle *h = lv_event_handle(watch);
	if (h)
		h->events = events;
	lv_event_unlock();
}

/* Removal only marks the entry: libvirt may remove a handle from inside its own callback, and
 * the free callback must run outside of it (lv_event_cleanup). */
static int lv_event_remove_handle(int watch)
{
	lv_event_lock();
	struct lv_handle *h = lv_event_handle(watch);
	if (h)
		h->deleted = true;
	lv_event_unlock();
	return h ? 0 : -1;
}

static uint64_t lv_event_due(int ms)
{
	return ms < 0 ? UINT64_MAX : vd_now_mono_ns() + (uint64_t)ms * 1000000ull;
}

static int lv_event_add_timeout(int ms, virEventTimeoutCallback cb, void *opaque,
				virFreeCallback ff)
{
	lv_event_lock();
	lv_ev.t = vd_xrealloc(lv_ev.t, (lv_ev.nt + 1) * sizeof(*lv_ev.t));
	lv_ev.t[lv_ev.nt] =
		(struct lv_timer){ ++lv_ev.next_id, ms, lv_event_due(ms), cb, opaque, ff, false };
	int id = lv_ev.t[lv_ev.nt++].id;
	lv_event_unlock();
	return id;
}

static struct lv_timer *lv_event_timer(int id)
{
	for (size_t i = 0; i < lv_ev.nt; i++)
		if (lv_ev.t[i].id == id && !lv_ev.t[i].deleted)
			return &lv_ev.t[i];
	return NULL;
}

static void lv_event_update_timeout(int id, int ms)
{
	lv_event_lock();
	struct lv_timer *t = lv_event_timer(id);
	if (t) {
		t->ms = ms;
		t->due_ns = lv_event_due(ms);
	}
	lv_event_unlock();
}

static int lv_event_remove_timeout(int id)
{
	lv_event_lock();
	struct lv_timer *t = lv_event_timer(id);
	if (t)
		t->deleted = true;
	lv_event_unlock();
	return t ? 0 : -1;
}

/* One deleted entry's free callback, taken out of the table under the lock. */
struct lv_freed {
	virFreeCallback ff;
	void *opaque;
};

static bool lv_event_take_deleted(struct lv_freed *out)
{
	for (size_t i = 0; i < lv_ev.nh; i++) {
		if (!lv_ev.h[i].deleted)
			continue;
		*out = (struct lv_freed){ lv_ev.h[i].ff, lv_ev.h[i].opaque };
		memmove(&lv_ev.h[i], &lv_ev.h[i + 1], (--lv_ev.nh - i) * sizeof(*lv_ev.h));
		return true;
	}
	for (size_t i = 0; i < lv_ev.nt; i++) {
		if (!lv_ev.t[i].deleted)
			continue;
		*out = (struct lv_freed){ lv_ev.t[i].ff, lv_ev.t[i].opaque };
		memmove(&lv_ev.t[i], &lv_ev.t[i + 1], (--lv_ev.nt - i) * sizeof(*lv_ev.t));
		return true;
	}
	return false;
}

/* Drop deleted entries and call their free callbacks unlocked: they may re-enter the table. */
static void lv_event_cleanup(void)
{
	struct lv_freed f;
	for (;;) {
		lv_event_lock();
		bool got = lv_event_take_deleted(&f);
		lv_event_unlock();
		if (!got)
			return;
		if (f.ff)
			f.ff(f.opaque);
	}
}

/* The next due timer with an id above after (ids grow), rearmed; false when none is left. */
static bool lv_event_next_due(uint64_t now, int after, struct lv_timer *out)
{
	lv_event_lock();
	struct lv_timer *best = NULL;
	for (size_t i = 0; i < lv_ev.nt; i++) {
		struct lv_timer *t = &lv_ev.t[i];
		if (!t->deleted && t->ms >= 0 && t->due_ns <= now && t->id > after && (!best || t->id < best->id))
			best = t;
	}
	if (best) {
		best->due_ns = lv_event_due(best->ms);
		*out = *best;
	}
	lv_event_unlock();
	return best != NULL;
}

/* Fire every timer that is due, each at most once: a 0 ms timer fires once per iteration. */
static void lv_event_run_timers(void)
{
	uint64_t now = vd_now_mono_ns();
	struct lv_timer t;
	for (int after = 0; lv_event_next_due(now, after, &t); after = t.id)
		t.cb(t.id, t.opaque);
}

/* Milliseconds until the next timer, or -1 when none is armed (called locked). */
static int lv_event_next_timeout(void)
{
	uint64_t next = UINT64_MAX, now = vd_now_mono_ns();
	for (size_t i = 0; i < lv_ev.nt; i++)
		if (!lv_ev.t[i].deleted && lv_ev.t[i].ms >= 0 && lv_ev.t[i].due_ns < next)
			next = lv_ev.t[i].due_ns;
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)((next - now + 999999) / 1000000);
}

void lv_event_init(void)
{
	if (lv_ev.ready)
		return;
	lv_ev.ready = true;
	lv_ev.wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	virEventRegisterImpl(lv_event_add_handle, lv_event_update_handle, lv_event_remove_handle,
			     lv_event_add_timeout, lv_event_update_timeout, lv_event_remove_timeout);
}

void lv_event_attach(struct lv_priv *p)
{
	lv_ev.members = vd_xrealloc(lv_ev.members, (lv_ev.nmembers + 1) * sizeof(*lv_ev.members));
	lv_ev.members[lv_ev.nmembers++] = p;
}

/* The next member, if any, takes over reporting the fds. */
void lv_event_detach(struct lv_priv *p)
{
	for (size_t i = 0; i < lv_ev.nmembers; i++) {
		if (lv_ev.members[i] != p)
			continue;
		memmove(&lv_ev.members[i], &lv_ev.members[i + 1], (lv_ev.nmembers - i - 1) * sizeof(p));
		lv_ev.nmembers--;
		return;
	}
}

void lv_event_wake(struct lv_priv *p)
{
	uint64_t one = 1;
	p->changed = true;
	if (lv_ev.wakefd >= 0 && write(lv_ev.wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		vd_debug("libvirt engine: waking the console failed: %s", strerror(errno));
}

static short lv_event_to_poll(int events)
{
	return (short)(((events & VIR_EVENT_HANDLE_READABLE) ? POLLIN : 0) |
		       ((events & VIR_EVENT_HANDLE_WRITABLE) ? POLLOUT : 0));
}

static int lv_event_from_poll(short revents)
{
	return ((revents & POLLIN) ? VIR_EVENT_HANDLE_READABLE : 0) |
	       ((revents & POLLOUT) ? VIR_EVENT_HANDLE_WRITABLE : 0) |
	       ((revents & POLLERR) ? VIR_EVENT_HANDLE_ERROR : 0) |
	       ((revents & POLLHUP) ? VIR_EVENT_HANDLE_HANGUP : 0);
}

/* Fill fds with the wake fd and every enabled handle; remember which watch is where. */
static int lv_event_fill(struct pollfd *fds, int max, int *timeout_ms)
{
	/* The console dispatches only when poll() saw an fd; when it timed out instead, the timers
	 * that made it time out fire here, so each fires once per iteration either way. */
	if (!lv_ev.timers_ran)
		lv_event_run_timers();
	lv_ev.timers_ran = false;
	lv_event_cleanup();
	lv_event_lock();
	int n = 0;
	if (lv_ev.wakefd >= 0 && n < max && n < LV_EV_MAX_FILLED) {
		fds[n] = (struct pollfd){ .fd = lv_ev.wakefd, .events = POLLIN };
		lv_ev.filled[n++] = -1;
	}
	for (size_t i = 0; i < lv_ev.nh && n < max && n < LV_EV_MAX_FILLED; i++) {
		if (lv_ev.h[i].events == 0)
			continue;
		fds[n] = (struct pollfd){ .fd = lv_ev.h[i].fd, .events = lv_event_to_poll(lv_ev.h[i].events) };
		lv_ev.filled[n++] = lv_ev.h[i].watch;
	}
	lv_ev.nfilled = n;
	int next = lv_event_next_timeout();
	lv_event_unlock();
	if (next >= 0 && (*timeout_ms < 0 || next < *timeout_ms))
		*timeout_ms = next;
	return n;
}

static void lv_event_drain_wake(void)
{
	uint64_t v;
	while (lv_ev.wakefd >= 0 && read(lv_ev.wakefd, &v, sizeof(v)) == sizeof(v))
		;
}

/* Run the callbacks of ready handles, then due timers; > 0 when a backend saw a change. */
static int lv_event_run(const struct pollfd *fds, int n)
{
	for (int i = 0; i < n && i < lv_ev.nfilled; i++) {
		if (!fds[i].revents)
			continue;
		if (lv_ev.filled[i] < 0) {
			lv_event_drain_wake();
			continue;
		}
		lv_event_lock();
		struct lv_handle *h = lv_event_handle(lv_ev.filled[i]), copy = h ? *h : (struct lv_handle){ 0 };
		lv_event_unlock();
		if (h)
			copy.cb(copy.watch, copy.fd, lv_event_from_poll(fds[i].revents), copy.opaque);
	}
	lv_event_run_timers();
	lv_ev.timers_ran = true;
	lv_event_cleanup();
	int changed = 0;
	for (size_t i = 0; i < lv_ev.nmembers; i++) {
		changed |= lv_ev.members[i]->changed;
		lv_ev.members[i]->changed = false;
	}
	return changed;
}

bool lv_event_driven(void)
{
	return lv_ev.driven;
}

static void lv_event_retry_fire(int timer, void *opaque)
{
	struct lv_priv *p = opaque;
	lv_event_lock();
	lv_event_remove_timeout(timer);
	if (p->retry_timer == timer)
		p->retry_timer = -1;
	lv_event_unlock();
	lv_event_wake(p);
}

/* A one-shot timer that asks the console for a refresh, so a lost connection is retried on
 * its backoff schedule and a forced stop happens on time, even when the refresh interval is
 * long. One per backend, kept at the earliest deadline asked for; the refresh it causes asks
 * again for whatever is still pending. Jobs run on another thread, hence the lock. */
void lv_event_wake_later(struct lv_priv *p, unsigned ms)
{
	uint64_t due = lv_event_due((int)ms);
	lv_event_lock();
	if (p->retry_timer <= 0 || due < p->wake_due_ns) {
		lv_event_cancel_wake(p);
		p->retry_timer = lv_event_add_timeout((int)ms, lv_event_retry_fire, p, NULL);
		p->wake_due_ns = due;
	}
	lv_event_unlock();
}

void lv_event_cancel_wake(struct lv_priv *p)
{
	lv_event_lock();
	if (p->retry_timer > 0)
		lv_event_remove_timeout(p->retry_timer);
	p->retry_timer = -1;
	lv_event_unlock();
}

int lv_event_pollfds(struct lv_priv *p, struct pollfd *fds, int max, int *timeout_ms)
{
	lv_ev.driven = true;
	if (!lv_ev.nmembers || lv_ev.members[0] != p || __atomic_load_n(&lv_ev.pumping, __ATOMIC_ACQUIRE))
		return 0;
	return lv_event_fill(fds, max, timeout_ms);
}

int lv_event_dispatch(struct lv_priv *p, const struct pollfd *fds, int n)
{
	if (!lv_ev.nmembers || lv_ev.members[0] != p || __atomic_load_n(&lv_ev.pumping, __ATOMIC_ACQUIRE))
		return 0;
	return lv_event_run(fds, n);
}

void lv_event_set_pumping(bool on)
{
	__atomic_store_n(&lv_ev.pumping, on, __ATOMIC_RELEASE);
}

int lv_event_fill_pump(struct pollfd *fds, int max, int *timeout_ms)
{
	return lv_event_fill(fds, max, timeout_ms);
}

void lv_event_run_pump(const struct pollfd *fds, int n)
{
	lv_event_run(fds, n);
}
