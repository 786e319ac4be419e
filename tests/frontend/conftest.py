"""Frontend test setup: WB_FRONTEND_STUB_OPS=1 stands in for catalog ops the op table lacks."""
import os
import sys

if os.environ.get("WB_FRONTEND_STUB_OPS"):
    sys.path.insert(0, os.path.dirname(__file__))
    import catalog_stub

    catalog_stub.install()
