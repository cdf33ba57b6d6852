"""Grant, voucher and subsidy administration system."""

import os

# Piccolo finds its configuration through this module path, wherever the process was started from.
os.environ.setdefault("PICCOLO_CONF", "app.piccolo_conf")
