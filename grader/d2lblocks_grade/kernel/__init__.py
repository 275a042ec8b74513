"""Running one notebook in one kernel, in one sandbox.

jail.py          the sandbox: bubblewrap namespaces, read-only runtime (runtime.py), cgroup caps (cgroups.py)
enter.py         a process joins its sandbox, drops privileges and becomes ipykernel
fork_server.py   the warm server (torch imported once) that kernels are forked from
launch.py        jupyter_client's provisioner: warm fork or cold start, into the sandbox
execute.py       start a kernel, run a notebook with cell and wall-clock limits, kill it
process_limits.py  environment scrubbing and output caps for every kernel; rlimits and sweeps when unsandboxed
"""
