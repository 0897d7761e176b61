#!/usr/bin/python3
import lslib
lslib.skip("not written yet")
