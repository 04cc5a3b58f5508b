"""gunicorn settings: `gunicorn -c powerbot/gunicorn.conf.py` (the Procfile and the Docker image).

Logs go through powerbot.logs like every other process, so LOG_FORMAT=json covers the
web process too, and the access log leaves out query strings, where a read key may be.
"""

# Every name here that gunicorn knows is a setting (`config` is one: hence no such name).
from pathlib import Path

from powerbot.config import get_bool, get_int, get_str, read_env_file
from powerbot.logs import configured_format_and_level, logging_config

read_env_file(Path(__file__).resolve().parent.parent / ".env")

wsgi_app = "powerbot.wsgi"
bind = [get_str("WEB_BIND", "0.0.0.0:8000")]
if sensor_port := get_int("SENSOR_ONLY_PORT", 0, minimum=0, maximum=65535):
    bind.append(f"0.0.0.0:{sensor_port}")  # the firmware's plain-HTTP port: sensors' paths only
workers = get_int("WEB_WORKERS", 2, minimum=1, maximum=64)
# WEB_ACCESS_LOG_HEARTBEATS=false: accepted heartbeats stay out of the access log (errors never do).
logconfig_dict = logging_config(
    *configured_format_and_level(), skip_heartbeats=not get_bool("WEB_ACCESS_LOG_HEARTBEATS", True)
)
# gunicorn's control socket (gunicornc) is not used; it would be a file in the home folder.
control_socket_disable = True
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"  # heartbeat files off the (possibly overlay) disk, as gunicorn advises for containers
