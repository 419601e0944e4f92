/*
 * plugsim: the event scheduler.
 *
 * A simulation is a set of events, each a callback with two user
 * pointers due at an absolute time.  The scheduler runs them in order of
 * (time, insertion sequence): two events due at the same nanosecond run
 * in the order they were scheduled, on every run and every machine, so a
 * simulation is a pure function of its inputs and seed.
 *
 * The queue is a 4-ary min-heap with each event's heap position tracked
 * in its slot, so push, pop, cancel and reschedule are O(log n).  Slots
 * live in one array that grows geometrically and are recycled through a
 * free list: in steady state scheduling allocates nothing.
 *
 * Handles are (slot, generation) pairs.  A slot's generation changes
 * each time its event fires or is cancelled, so a stale handle is
 * recognised and ignored instead of touching a reused slot: cancelling
 * twice, or cancelling an event that already ran, is always safe.  (A
 * handle kept while its slot is reused 2^32 - 1 times would alias; no
 * simulation keeps one that long.)
 */
#ifndef PLUGSIM_SCHED_H
#define PLUGSIM_SCHED_H

#include <plugsim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psim_sched psim_sched;

/**
 * A handle to a scheduled event.  A zeroed handle ({0, 0}) never refers
 * to an event, so a struct that holds handles can be zero-initialised
 * and cancelled safely.  Copy it freely: every copy goes stale together.
 */
typedef struct psim_event {
  uint32_t slot;
  uint32_t gen; /* never 0 for a real event */
} psim_event;

/** The handle that refers to nothing. */
#define PSIM_EVENT_NONE ((psim_event){0, 0})

/**
 * An event callback.  |now| is the event's due time, which is also
 * psim_sched_now(|sched|) during the call.  The callback may schedule,
 * cancel and reschedule any event, including its own (already stale)
 * handle, and may call psim_sched_stop; it must not delete |sched|.
 */
typedef void (*psim_event_fn)(psim_sched *sched, ptcp_time now, void *a, void *b);

/**
 * psim_sched_new creates a scheduler whose clock starts at |start|.
 * |mem| may be NULL for ptcp_mem_default(); it must outlive the
 * scheduler.  Returns 0, or one of the following negative error codes:
 *   PTCP_ERR_INVALID_ARGUMENT  |psched| is NULL or |start| is NONE;
 *   PTCP_ERR_NOMEM             out of memory.
 */
int psim_sched_new(psim_sched **psched, const ptcp_mem *mem, ptcp_time start);

/** psim_sched_del frees |sched| and drops its pending events unrun.  NULL is a no-op. */
void psim_sched_del(psim_sched *sched);

/**
 * psim_sched_reserve makes room for |n| pending events, so that up to
 * that many can be scheduled without allocating.  Returns 0, or
 *   PTCP_ERR_LIMIT  |n| exceeds the 2^32 - 2 events a scheduler holds;
 *   PTCP_ERR_NOMEM  out of memory (the scheduler is unchanged).
 */
int psim_sched_reserve(psim_sched *sched, size_t n);

/**
 * psim_sched_at schedules |fn|(sched, at, |a|, |b|) at the absolute
 * time |at| and, when |ev| is not NULL, stores its handle there.  An
 * event at the current time runs after every event already due then.
 * Returns 0, or one of the following negative error codes:
 *   PTCP_ERR_INVALID_ARGUMENT  |fn| is NULL, |at| is PTCP_TIME_NONE, or
 *                              |at| is before psim_sched_now();
 *   PTCP_ERR_LIMIT             2^32 - 2 events are already pending;
 *   PTCP_ERR_NOMEM             the event array could not grow.
 */
int psim_sched_at(psim_sched *sched, ptcp_time at, psim_event_fn fn, void *a, void *b,
                  psim_event *ev);

/**
 * psim_sched_after is psim_sched_at at now + |delay| (saturating, see
 * ptcp_time_add).  Same errors.
 */
int psim_sched_after(psim_sched *sched, ptcp_duration delay, psim_event_fn fn, void *a,
                     void *b, psim_event *ev);

/**
 * psim_sched_cancel removes the event |ev| refers to, if it is still
 * pending, without running it.  Returns 1 when an event was removed and
 * 0 when |ev| was stale (already run, already cancelled, or NONE).
 */
int psim_sched_cancel(psim_sched *sched, psim_event ev);

/**
 * psim_sched_reschedule moves the pending event |ev| to |at|, keeping
 * its callback and handle.  It then sorts as if it had just been
 * scheduled: after every other event due at |at|.  Returns 0, or
 *   PTCP_ERR_NOT_FOUND         |ev| is stale;
 *   PTCP_ERR_INVALID_ARGUMENT  |at| is NONE or before now.
 */
int psim_sched_reschedule(psim_sched *sched, psim_event ev, ptcp_time at);

/** psim_sched_pending returns nonzero when |ev| refers to a pending event. */
int psim_sched_pending(const psim_sched *sched, psim_event ev);

/** psim_sched_when returns the due time of |ev|, or NONE if it is stale. */
ptcp_time psim_sched_when(const psim_sched *sched, psim_event ev);

/** psim_sched_now returns the current simulated time. */
ptcp_time psim_sched_now(const psim_sched *sched);

/** psim_sched_next returns the due time of the next event, or NONE. */
ptcp_time psim_sched_next(const psim_sched *sched);

/** psim_sched_size returns the number of pending events. */
size_t psim_sched_size(const psim_sched *sched);

/** psim_sched_executed returns the number of events run so far. */
uint64_t psim_sched_executed(const psim_sched *sched);

/**
 * psim_sched_stop, called from an event callback, makes the running
 * psim_sched_run/run_until/step return |status| once the callback
 * returns: 0 for "done", a negative PTCP_ERR_* code for "failed".  The
 * remaining events stay pending and a later run resumes them.  Outside
 * a run it has no effect.
 */
void psim_sched_stop(psim_sched *sched, int status);

/**
 * psim_sched_step runs the next event, advancing the clock to its time.
 * Returns 1 when an event ran, 0 when none was pending, or
 *   the negative status given to psim_sched_stop by that event;
 *   PTCP_ERR_STATE  called from inside an event callback.
 */
int psim_sched_step(psim_sched *sched);

/**
 * psim_sched_run_until runs, in order, every event due at or before
 * |until|, including events those events schedule, then sets the clock
 * to |until| (ns-3's Simulator::Stop(t) + Run()).  Returns 0, or
 *   PTCP_ERR_INVALID_ARGUMENT  |until| is before now or is NONE;
 *   PTCP_ERR_STATE             called from inside an event callback;
 *   the status given to psim_sched_stop, which leaves the clock at the
 *   stopping event's time.
 */
int psim_sched_run_until(psim_sched *sched, ptcp_time until);

/**
 * psim_sched_run runs events until none is pending; the clock stays at
 * the last event's time.  Returns 0, PTCP_ERR_STATE from inside a
 * callback, or the status given to psim_sched_stop.
 */
int psim_sched_run(psim_sched *sched);

#ifdef __cplusplus
}
#endif

#endif /* PLUGSIM_SCHED_H */
