"""Web page watching: new links on a page (a news list, a forum index) or changes of its text."""
