# Unit tests (Check): one suite per module, each in its own fragment.
include $(srcdir)/tests/unit/decode.mk
include $(srcdir)/tests/unit/interp.mk
include $(srcdir)/tests/unit/devices.mk
include $(srcdir)/tests/unit/monitor.mk
include $(srcdir)/tests/unit/interp_sys.mk
include $(srcdir)/tests/unit/shadow.mk
include $(srcdir)/tests/unit/de.mk
include $(srcdir)/tests/unit/bt.mk
include $(srcdir)/tests/unit/sandbox.mk
