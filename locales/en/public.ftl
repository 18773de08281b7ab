# Public pages: home and sign-in.
home-title = Tuscan anti-trafficking network
home-lead = SATIS is the information system the regional network uses to find, protect and accompany to autonomy the victims of trafficking and severe exploitation.
home-help-title = Ask for help or report
home-help-text = If you or someone you know is in danger or being exploited, call the Regional Hotline: it answers day and night, anonymously if you wish.
home-help-national = National Hotline:
home-network-title = The network
home-network-text = The Region, municipalities, health and social consortia, prefectures, associations and cooperatives of the ten provinces work together: street units, drop-in desks, shelters and protection programmes.
home-staff-title = Staff
home-staff-text = The reserved area is for the network's staff. Every sign-in is personal and recorded.
login-title = Sign in to the reserved area
login-intro = Enter your personal credentials. Never share them with anyone.
login-username = Username
login-password = Password
login-submit = Sign in
login-error-invalid = Invalid username or password.
