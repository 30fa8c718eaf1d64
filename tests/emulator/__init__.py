"""Tests of reconciler/emulator/."""
