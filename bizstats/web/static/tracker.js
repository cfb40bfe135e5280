// tracker
