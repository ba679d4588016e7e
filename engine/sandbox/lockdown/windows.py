"""Windows lockdown of the REPL child: a Job object (memory cap, CPU time, one process).

Written on paper and unit-tested for its structures; not yet run on Windows. The child
puts itself into a new job before any model code runs: no second process can start in
it, its memory and CPU time are capped, and it dies with the job. Files and network are
NOT isolated on Windows yet (that needs an AppContainer or a restricted token given at
process creation), so the host's policy refuses to run model code there unless the user
allows it knowingly.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

JOB_OBJECT_LIMIT_PROCESS_TIME = 0x00000002
JOB_OBJECT_LIMIT_ACTIVE_PROCESS = 0x00000008
JOB_OBJECT_LIMIT_PROCESS_MEMORY = 0x00000100
JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION = 0x00000400
JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000
JOB_OBJECT_UILIMIT_ALL = 0x000000FF  # handles, clipboard, desktop, display, atoms, ...
JOB_OBJECT_BASIC_UI_RESTRICTIONS = 4
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9


class BasicLimitInformation(ctypes.Structure):
    _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64),
                ("PerJobUserTimeLimit", ctypes.c_int64),
                ("LimitFlags", ctypes.c_uint32),
                ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t),
                ("ActiveProcessLimit", ctypes.c_uint32),
                ("Affinity", ctypes.c_size_t),
                ("PriorityClass", ctypes.c_uint32),
                ("SchedulingClass", ctypes.c_uint32)]


class IoCounters(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "ReadOperationCount", "WriteOperationCount", "OtherOperationCount",
        "ReadTransferCount", "WriteTransferCount", "OtherTransferCount")]


class ExtendedLimitInformation(ctypes.Structure):
    _fields_ = [("BasicLimitInformation", BasicLimitInformation),
                ("IoInfo", IoCounters),
                ("ProcessMemoryLimit", ctypes.c_size_t),
                ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t),
                ("PeakJobMemoryUsed", ctypes.c_size_t)]


class BasicUiRestrictions(ctypes.Structure):
    _fields_ = [("UIRestrictionsClass", ctypes.c_uint32)]


def job_limits(policy: dict[str, Any]) -> ExtendedLimitInformation:
    """The job's limits for ``policy``: one process, memory and CPU time caps, die on close."""
    info = ExtendedLimitInformation()
    basic = info.BasicLimitInformation
    basic.LimitFlags = (JOB_OBJECT_LIMIT_ACTIVE_PROCESS | JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
                        | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION)
    basic.ActiveProcessLimit = 1
    memory = policy.get("memory_bytes")
    if memory:
        basic.LimitFlags |= JOB_OBJECT_LIMIT_PROCESS_MEMORY
        info.ProcessMemoryLimit = int(memory)
    cpu = policy.get("cpu_seconds")
    if cpu:
        basic.LimitFlags |= JOB_OBJECT_LIMIT_PROCESS_TIME
        basic.PerProcessUserTimeLimit = int(cpu) * 10_000_000  # 100 ns units
    return info


_JOB: Any = None  # the job handle must stay open: closing it would kill this process


def apply_child(policy: dict[str, Any], disabled: set[str]) -> dict[str, Any]:
    layers = {"job_object": False, "filesystem_rules": False, "network_rules": False}
    missing = {"filesystem_rules": "not implemented on Windows (needs an AppContainer)",
               "network_rules": "not implemented on Windows (needs an AppContainer)"}
    details: dict[str, Any] = {"memory_limit_bytes": None}
    if "all" in disabled or "job_object" in disabled:
        missing["job_object"] = "disabled by the host (test switch)"
        return {"layers": layers, "missing": missing, **details}
    if sys.platform != "win32":
        missing["job_object"] = "not running on Windows"
        return {"layers": layers, "missing": missing, **details}
    global _JOB
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.CreateJobObjectW.restype = ctypes.c_void_p
    kernel32.GetCurrentProcess.restype = ctypes.c_void_p
    job = kernel32.CreateJobObjectW(None, None)
    info = job_limits(policy)
    ui = BasicUiRestrictions(JOB_OBJECT_UILIMIT_ALL)
    ok = (job and kernel32.SetInformationJobObject(
              ctypes.c_void_p(job), JOB_OBJECT_EXTENDED_LIMIT_INFORMATION,
              ctypes.byref(info), ctypes.sizeof(info))
          and kernel32.SetInformationJobObject(
              ctypes.c_void_p(job), JOB_OBJECT_BASIC_UI_RESTRICTIONS, ctypes.byref(ui),
              ctypes.sizeof(ui))
          and kernel32.AssignProcessToJobObject(ctypes.c_void_p(job),
                                                ctypes.c_void_p(kernel32.GetCurrentProcess())))
    if not ok:
        missing["job_object"] = f"the job object failed (error {ctypes.get_last_error()})"
        return {"layers": layers, "missing": missing, **details}
    _JOB = job
    layers["job_object"] = True
    details["memory_limit_bytes"] = info.ProcessMemoryLimit or None
    return {"layers": layers, "missing": missing, **details}
