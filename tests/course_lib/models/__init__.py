"""Tests of course_lib.models (a package so that test module names stay unique)."""
