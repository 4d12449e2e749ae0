# gdb script (t/057-subrequest-order.t): nginx runs under gdb, one process
# (master_process off).  For every subrequest the module posts, through
# ngx_http_resend_verify_subrequest(), it counts the calls to nginx's
# allocators made by that function before ngx_http_subrequest() (what the
# subrequest carries: there must be some, else the breakpoints see nothing)
# and after ngx_http_subrequest() returned NGX_OK (where a failure would
# leave a posted subrequest with the browser's own headers and body: there
# must be none).  The counts go to the file named by $RV_GDB_OUT when
# nginx exits.

import os

import gdb

OUT = os.environ["RV_GDB_OUT"]
CALLER = "ngx_http_resend_verify_subrequest"
ALLOCATORS = ("ngx_palloc", "ngx_pnalloc", "ngx_pcalloc", "ngx_pmemalign",
              "ngx_alloc", "ngx_calloc")

gdb.execute("set pagination off")
gdb.execute("set confirm off")
for sig in ("SIGPIPE", "SIGQUIT", "SIGHUP", "SIGTERM", "SIGUSR1", "SIGUSR2",
            "SIGALRM", "SIGCHLD", "SIGIO", "SIGWINCH"):
    gdb.execute("handle %s nostop noprint pass" % sig)

state = {"calls": 0, "posted": 0, "before": 0, "after": []}

# the activation of CALLER whose subrequest was posted: a gdb.Frame (frames
# compare by their id); an allocation counts as "after" when that very
# activation is on the stack.  (A FinishBreakpoint on CALLER would miss the
# return of a call made as a tail call.)
posted_frame = [None]


def backtrace(n):
    names = []
    f = gdb.newest_frame()
    while f is not None and len(names) < n:
        names.append(f.name() or "?")
        f = f.older()
    return " < ".join(names)


def caller_frame():
    f = gdb.newest_frame()
    depth = 0
    while f is not None and depth < 12:
        if f.name() == CALLER:
            return f
        f = f.older()
        depth += 1
    return None


class Posted(gdb.FinishBreakpoint):
    def stop(self):
        if int(self.return_value) == 0:
            state["posted"] += 1
            posted_frame[0] = gdb.newest_frame()
        return False


class Caller(gdb.Breakpoint):
    def stop(self):
        state["calls"] += 1
        posted_frame[0] = None
        return False


class Subrequest(gdb.Breakpoint):
    def stop(self):
        f = gdb.newest_frame()
        if f.older() is not None and f.older().name() == CALLER:
            Posted(f, internal=True)
        return False


class Allocator(gdb.Breakpoint):
    def stop(self):
        f = caller_frame()
        if f is None:
            return False
        if posted_frame[0] is not None and f == posted_frame[0]:
            state["after"].append(backtrace(6))
        else:
            state["before"] += 1
        return False


Caller(CALLER, internal=True)
Subrequest("ngx_http_subrequest", internal=True)
for a in ALLOCATORS:
    Allocator(a, internal=True)


def exited(event):
    with open(OUT, "w") as f:
        f.write("calls %d\nposted %d\nbefore %d\nafter %d\n"
                % (state["calls"], state["posted"], state["before"],
                   len(state["after"])))
        for bt in state["after"]:
            f.write("alloc %s\n" % bt)


gdb.events.exited.connect(exited)
gdb.execute("run")
