"""The lecture: one instructor's run, streamed to a room of followers (`nntui lecture`, `nntui follow`).

wire.py is what they say to each other; server.py the instructor's side, client.py a follower's. Neither
imports torch or Textual: the apps that draw them live in ui/.
"""
