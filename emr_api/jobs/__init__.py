"""Work the server does outside requests: the scheduler that runs each site's due
background services (scheduler.py). Jobs act with the system's access, through the same
service functions the API calls."""
