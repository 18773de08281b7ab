# Shell: layout, navigation, errors. Italian is the reference language.
lang-name = Italiano
lang-switch-label = Lingua
skip-to-content = Vai al contenuto principale
header-owner = Regione Toscana · Rete antitratta
brand-tagline = Sistema informativo della rete toscana contro la tratta e il grave sfruttamento
nav-label = Menu principale
nav-menu = Menu
nav-home = Home
nav-login = Accedi
demo-banner-title = AMBIENTE DIMOSTRATIVO.
demo-banner-text = I dati sono inventati: non inserire mai dati di persone reali.
footer-hotline-title = Hai bisogno di aiuto?
footer-regional = Numero Verde Regionale Antitratta
footer-national = Numero Verde Nazionale Antitratta
footer-hotline-note = Gratuiti, anonimi se lo desideri, attivi 24 ore su 24.
footer-about-title = SATIS
footer-about-text = Il sistema informativo condiviso della rete regionale antitratta della Toscana, coordinata dalla Regione Toscana con il Comune di Viareggio come ente capofila.
error-title-not-found = Pagina non trovata
error-title-forbidden = Accesso non consentito
error-title-too-large = Richiesta troppo grande
error-title-request = Richiesta non valida
error-title-server = Si è verificato un errore
error-400 = La richiesta non è valida. Controlla i dati inseriti e riprova.
error-403 = Non hai i permessi per vedere questa pagina.
error-404 = La pagina che cerchi non esiste o è stata spostata.
error-405 = Questa operazione non è consentita su questa pagina.
error-413 = I dati inviati superano la dimensione massima consentita (un file può essere al massimo di 8 MB). Nulla è stato salvato.
error-429 = Troppi tentativi. Attendi qualche minuto e riprova.
error-500 = Non è stato possibile completare l'operazione. Nulla è stato perso: riprova tra poco e, se il problema continua, comunica il codice di riferimento all'assistenza.
error-generic = Non è stato possibile completare la richiesta.
error-reference = Codice di riferimento: { $id }
error-back-home = Torna alla pagina iniziale
error-401 = Devi accedere per continuare.
error-csrf = Il modulo è scaduto o non proviene da questo sito. Ricarica la pagina e riprova: nulla è stato salvato.

## Dates outside 1900 – today (or some years ahead where the future is allowed)
error-date-birth-date = La data di nascita non è valida: scrivila come AAAA-MM-GG, tra il 1900 e oggi.
error-date-given-on = La data del consenso manca o non è valida: scrivila come AAAA-MM-GG, tra il 1900 e oggi.
error-date-expires-on = La data di scadenza non è valida: scrivila come AAAA-MM-GG, dal 1900 a non oltre 30 anni da oggi.
error-date-issued-on = La data di rilascio non è valida: scrivila come AAAA-MM-GG, tra il 1900 e oggi.
error-date-applied-on = La data della domanda non è valida: scrivila come AAAA-MM-GG, tra il 1900 e oggi.
error-date-since = La data di inizio manca o non è valida: scrivila come AAAA-MM-GG, tra il 1900 e oggi.
error-date-effective-on = La data da cui vale il passaggio manca o non è valida: scrivila come AAAA-MM-GG, tra il 1900 e oggi.
error-date-withdrawn-on = La data della revoca manca o non è valida: scrivila come AAAA-MM-GG, tra il 1900 e oggi.
error-date-opened-on = Il giorno di emersione non è valido: scrivilo come AAAA-MM-GG, tra il 1900 e oggi.
error-date-until = La data di fine manca o non è valida: scrivila come AAAA-MM-GG, tra il 1900 e oggi.
error-date-happened-on = La data dell’evento manca o non è valida: scrivila come AAAA-MM-GG, tra il 1900 e oggi.
error-date-held-on = La data del colloquio manca o non è valida: scrivila come AAAA-MM-GG, tra il 1900 e oggi.
error-date-scheduled-on = La data fissata manca o non è valida: scrivila come AAAA-MM-GG, dal 1900 a non oltre 30 anni da oggi.
error-date-report-sent-on = La data di invio della relazione non è valida: scrivila come AAAA-MM-GG, tra il 1900 e oggi.
error-date-consent-on = La data del consenso manca o non è valida: scrivila come AAAA-MM-GG, tra il 1900 e oggi.
error-date-spent-on = La data della spesa non è valida: scrivila come AAAA-MM-GG, tra il 1900 e oggi.

form-problems = { $count ->
    [one] Il modulo non è stato salvato: c'è un dato da correggere. Quello che hai scritto è ancora qui.
   *[other] Il modulo non è stato salvato: ci sono { $count } dati da correggere. Quello che hai scritto è ancora qui.
}
form-error-choice = Scegli un valore dall'elenco.

# The administrator's desk: backups (issue 24)
backup-desk-title = Copie di sicurezza
backup-desk-newest = Ultima copia di sicurezza riuscita: { $at }.
backup-desk-none = Nessuna copia di sicurezza riuscita registrata.
backup-desk-failed = L'ultima copia di sicurezza programmata non è riuscita ({ $at }):
backup-desk-stale = Nessuna copia di sicurezza riuscita da più di due giorni: controllare il programma o eseguire satis backup.
backup-desk-scheduled = Copia di sicurezza programmata ogni giorno alle
backup-desk-keep = { $count ->
    [one] se ne conserva { $count }
   *[other] se ne conservano { $count }
}
backup-desk-unscheduled = Il server non programma copie di sicurezza: vanno eseguite con satis backup dal timer di sistema, oppure programmate nella sezione [backup] della configurazione.
list-next-page = Pagina successiva
footer-ordinary = Se il tuo operatore telefonico non chiama i numeri verdi (per esempio Lyca Mobile), chiama il numero ordinario:
