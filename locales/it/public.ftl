# Public pages: home and sign-in.
home-title = Rete antitratta della Toscana
home-lead = SATIS è il sistema informativo con cui la rete regionale individua, protegge e accompagna verso l'autonomia le vittime di tratta e grave sfruttamento.
home-help-title = Chiedi aiuto o segnala
home-help-text = Se tu o una persona che conosci siete in pericolo o sfruttati, chiama il Numero Verde Regionale: risponde giorno e notte, anche in forma anonima.
home-help-national = Numero Verde Nazionale:
home-network-title = La rete
home-network-text = Regione, Comuni, Società della Salute, Prefetture, associazioni e cooperative delle dieci province lavorano insieme: unità di strada, sportelli, accoglienza e percorsi di protezione.
home-staff-title = Operatrici e operatori
home-staff-text = L'area riservata è per il personale della rete. Ogni accesso è personale e registrato.
login-title = Accesso all'area riservata
login-intro = Inserisci le tue credenziali personali. Non condividerle con nessuno.
login-username = Nome utente
login-password = Password
login-submit = Accedi
login-error-invalid = Nome utente o password non validi.
