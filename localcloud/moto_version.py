"""The moto release every patch of the local cloud was written against (``moto_patches.check_version`` refuses
another). Its own module, free of imports, so that hooks installed before moto is imported can read it too."""

MOTO_VERSION = "5.2.5"
