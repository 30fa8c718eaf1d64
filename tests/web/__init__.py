"""Tests of reconciler/web/ and the dashboard pages of reconciler/service/."""
