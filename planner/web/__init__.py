"""The browser front end of yingji (``yingji serve``): pages, the job store, templates."""
