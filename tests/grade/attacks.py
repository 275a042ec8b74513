"""Attacks on the grader itself, as a determined student would write them, for the end-to-end attack tests.

Each `Attack` is a cell the attacker adds to an otherwise correct notebook (or a
file that is not a proper notebook at all). Its honest twin is the same notebook
without the cell. The cells print what they managed to do, but the tests judge
the outcome from outside: scores, files, processes, what the pages show.
Placeholders: {course}, {out}, {subs} (absolute paths on the grading machine),
{port} (a TCP listener on the host's loopback), {token} (digits naming this run's processes). The attacks do not know the
secrets they hunt: they print what they find, and the tests look for the secrets.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attack:
    name: str
    family: str
    cell: str  # code added after the setup cell, run before the answers and tests
    may_hurt_itself: bool = False  # a cap it runs into may cost the attacker its own points, never more


ATTACKS = (
    Attack("environ-and-cmdlines", "secrets", """\
import os
for pid in os.listdir('/proc'):
    for name in ('environ', 'cmdline'):
        try:
            print(pid, name, open(f'/proc/{{pid}}/{{name}}', 'rb').read()[:4000])
        except OSError:
            pass
print('ENV', dict(os.environ))
"""),
    Attack("course-gradebook-and-classmates", "files", """\
import glob, os, sqlite3
reached = []
for path in ['{course}/source/layers-and-blocks/layers-and-blocks.ipynb', '{out}/gradebook.db',
             '{subs}/honest1/layers-and-blocks.ipynb', '/etc/shadow', '/root/.bash_history']:
    try:
        open(path, 'rb').read(1)
        reached.append(path)
    except OSError:
        pass
for path in ['{out}/grades.csv', '{subs}/honest1/layers-and-blocks.ipynb']:
    try:
        open(path, 'a').write('hacked')
        reached.append('wrote ' + path)
    except OSError:
        pass
try:
    db = sqlite3.connect('file:{out}/gradebook.db?mode=rw', uri=True)
    db.execute("CREATE TRIGGER t AFTER INSERT ON grade BEGIN UPDATE grade SET auto_score = 99; END")
    db.commit()
    reached.append('trigger')
except Exception:
    pass
reached += [p for p in glob.glob('/**/*.ipynb', recursive=True) if 'layers-and-blocks' in p]
print('REACHED', reached)
"""),
    Attack("hijack-other-kernels", "isolation", """\
import glob, json
found = glob.glob('/tmp/**/*.json', recursive=True) + glob.glob('/run/**/*.json', recursive=True)
found += glob.glob('/proc/*/root/tmp/**/*.json', recursive=True)
hijacked = 0
for path in found:
    try:
        from jupyter_client import BlockingKernelClient
        client = BlockingKernelClient(connection_file=path)
        client.load_connection_file()
        client.start_channels()
        client.execute("import builtins; builtins.__import__ = None")
        hijacked += 1
    except Exception:
        pass
print('CONNECTION FILES', found, 'HIJACKED', hijacked)
"""),
    Attack("escape-the-sweep", "processes", """\
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
CLONE_PARENT, SIGCHLD = 0x00008000, 17
child = libc.syscall(56, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0)  # clone(): a sibling, not a child
if child == 0:
    os.setsid()
    time.sleep(8)
    open('{out}/grades.csv', 'a').write('escaped')
    os._exit(0)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(8)
        open('{out}/grades.csv', 'a').write('escaped')
    os._exit(0)
print('SPAWNED', child)
"""),
    Attack("kill-every-process", "processes", """\
import os, signal
killed = 0
for pid in range(1, 70000):
    if pid != os.getpid():
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except OSError:
            pass
print('KILLED', killed)
""", may_hurt_itself=True),
    Attack("network", "network", """\
import socket
reached = []
for address in [('127.0.0.1', {port}), ('10.0.0.1', 80), ('1.1.1.1', 443)]:
    try:
        socket.create_connection(address, timeout=2).close()
        reached.append(address)
    except OSError:
        pass
try:
    socket.getaddrinfo('pypi.org', 443)
    reached.append('dns')
except OSError:
    pass
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('8.8.8.8', 53))
    reached.append('udp')
except OSError:
    pass
print('NETWORK', reached)
"""),
    Attack("fill-tmp-and-shm", "caps", """\
written = {{}}
for where in ('/dev/shm/attack-fill-shm', '/tmp/attack-fill-tmp', '/scratch/attack-fill-scratch'):
    written[where] = 0
    try:
        with open(where, 'wb') as handle:
            for _ in range(2048):
                handle.write(bytes(1 << 20))
                written[where] += 1
    except OSError:
        pass
print('WROTE MiB', written)
"""),
    Attack("fork-bomb", "caps", """\
import subprocess
children = []
try:
    for _ in range(3000):
        children.append(subprocess.Popen(['sleep', '300.{token}']))
except OSError as err:
    print('STOPPED AT', len(children), err)
""", may_hurt_itself=True),
    Attack("active-content", "outputs", """\
from IPython.display import HTML, SVG, Javascript, display
display(HTML('<script>document.title = "pwned"</script><b onmouseover="alert(1)">hover</b>'))
display(Javascript('alert("pwned")'))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'))
"""),
    Attack("output-flood", "caps", """\
for _ in range(300):
    print('x' * 500_000)
""", may_hurt_itself=True),  # 150 MB takes its time to print: the cell's time limit may stop it
    Attack("classmates-scratch", "isolation", """\
import glob
for pattern in ('/proc/*/root/scratch/*', '/proc/*/cwd/*', '/scratch/../*/*', '/tmp/**/*.ipynb'):
    for path in glob.glob(pattern, recursive=True):
        try:
            print(path, open(path, 'rb').read()[:20000])
        except OSError:
            pass
"""),
)

EXTRA = (
    Attack("fill-the-connection-folder", "caps", """\
import os, sys
folder = os.path.dirname([a for a in sys.argv if a.endswith('.json')][0])
fd = os.open(folder, os.O_RDONLY)
try:
    for _ in range(1200):  # deep enough to break a recursive delete
        os.mkdir('d', dir_fd=fd)
        deeper = os.open('d', os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = deeper
    for i in range(4):
        handle = os.open(f'fill{{i}}', os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd)
        os.posix_fallocate(handle, 0, 255 << 20)
        os.close(handle)
except OSError as err:
    print('STOPPED', err)
""", may_hurt_itself=True),
    Attack("keyring-and-namespaces", "isolation", """\
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
done = []
if libc.syscall(248, b'user', b'left-behind', b'secret', 6, -4) >= 0:  # add_key to the user keyring
    done.append('keyring')
if libc.unshare(0x10000000 | 0x00020000) == 0:  # a user and a mount namespace of its own
    done.append('namespaces')
print('ESCAPED' if done else 'CONTAINED', done)
"""),
)
# Output the grader's caps must count although nbclient applies it to the notebook by itself:
OUTPUT_KINDS = (
    Attack("display-update-amplifier", "caps", """\
h = display('small', display_id=True)
for _ in range(500):
    h.display('small')  # 500 outputs share the id: one update rewrites them all
for _ in range(40):
    h.update('y' * 2_000_000)
"""),
    Attack("widget-state-and-buffers", "caps", """\
from comm import create_comm
c = create_comm(target_name='jupyter.widget', data={{'state': {{'_model_name': 'Flood', '_model_module': 'x'}},
                                                   'buffer_paths': []}})
for i in range(40):
    c.send({{'method': 'update', 'state': {{f'k{{i}}': 'v' * 1_000_000}}, 'buffer_paths': [[f'b{{i}}']]}},
           buffers=[b'x' * 2_000_000])
"""),
    Attack("results-errors-and-many-ids", "caps", """\
from IPython.display import display
for i in range(2000):
    display('id' * 2000, display_id=f'd{{i}}')
ValueError('e' * 20_000_000)
"""),
)
ATTACKS = ATTACKS + EXTRA + OUTPUT_KINDS

# A markdown cell an attacker adds: raw HTML that would run in the instructor's browser.
HOSTILE_MARKDOWN = ('<img src=x onerror="fetch(\'/api/grades\')"><script>alert(1)</script>'
                    '<a href="javascript:alert(1)">notes</a>')
ACTIVE_WORDS = ("<script", "onerror", "onload", "onmouseover", "javascript:", "application/javascript")


def deep_json() -> bytes:
    return b"[" * 200_000 + b"]" * 200_000
