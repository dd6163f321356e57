"""The app's screens besides the lesson itself: home (every lesson), the edit form, help and the questions."""
