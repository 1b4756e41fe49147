"""The reminder daemon: one asyncio loop for the scheduler, the D-Bus connection and the control socket."""
