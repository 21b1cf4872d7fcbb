/**
 * Every word the console shows, in Spanish (the default: the language of the people who run
 * the night) and English. What the center answers in English (its logs' and API's language) —
 * error codes, acta states, the quality gate's reasons — is said here by its code; the center's
 * own English message is kept only where no code is known, behind "detalle técnico".
 *
 * Kept as they are in both languages: INE's own vocabulary on the acta (Ilegible, Sin dato,
 * CLAVE_ACTA, CATD) and what the election definition names (parties, coalitions, contests).
 */
import { fill } from '../platform/web/fill.ts';

export type Language = 'es' | 'en';
export { fill };

const es = {
  consoleTitle: 'OpenPREP · Consola de operación',
  consoleName: 'OpenPREP · Consola',
  operationConsole: 'Consola de operación',
  signInTitle: 'Consola de operación — iniciar sesión',
  username: 'Usuario',
  password: 'Contraseña',
  totpCode: 'Código de su aplicación de autenticación (6 dígitos)',
  signIn: 'Entrar',
  signOut: 'Salir',
  loading: 'Cargando…',
  otherLanguage: 'English',
  otherLanguageCode: 'en',
  screens: 'Pantallas',
  screenCapture: 'Captura',
  screenVerification: 'Verificación',
  screenCotejo: 'Cotejo',
  screenDashboard: 'Tablero',
  screenAdmin: 'Administración',
  noScreens: 'Su función no tiene pantallas en esta consola todavía.',
  roleCapturista: 'Capturista',
  roleVerificador: 'Verificador(a)',
  roleCoordinador: 'Coordinador(a)',
  roleAuditor: 'Auditor(a)',
  roleSeguridad: 'Seguridad',
  roleAdministrador: 'Administrador(a)',
  rolePublicador: 'Publicador(a)',
  // The acta's image (capture, verification, cotejo).
  noImage: 'Esta acta no tiene imagen.',
  imageAlt: 'Imagen del acta {key}',
  sheetCaption: 'Hoja enderezada y recortada para leerla',
  originalImage: 'imagen original',
  noKey: 'sin clave',
  // The boxes (entry.ts's order).
  boxBoletasSobrantes: 'Boletas sobrantes',
  boxPersonasVotaron: 'Personas que votaron',
  boxRepresentantesVotaron: 'Representantes de partidos que votaron',
  boxVotosSacados: 'Votos sacados de la urna',
  boxTotalAsentado: 'Total de votos (asentado en el acta)',
  keysNumbers: 'Números: el valor',
  keysNext: 'siguiente casilla (en la última, enviar)',
  keysPrevious: 'anterior',
  keyEnter: 'Entrar',
  keyShift: 'Mayús',
  // Capture and verification.
  findingNext: 'Buscando la siguiente acta…',
  noCapture: 'No hay actas por capturar; se buscan cada pocos segundos.',
  noVerification: 'No hay actas por verificar; se buscan cada pocos segundos.',
  missingBox: 'Falta la casilla «{box}».',
  notRecorded: 'No se registró: {reason}',
  claimTaken:
    'No se registró: pasó el tiempo para esta acta y ya se asignó a otra persona. Siga con la siguiente.',
  movedOn: 'No se registró: {reason} Sigue la siguiente acta.',
  captureTitle: 'Captura · acta',
  verificationTitle: 'Verificación · acta',
  captureSent: 'Acta {key} registrada.',
  sendCapture: 'Enviar captura',
  verified: 'Acta {key} verificada.',
  differOne: 'Las dos capturas difieren en 1 casilla, marcada. Lea el valor en la imagen y escríbalo.',
  differMany:
    'Las dos capturas difieren en {count} casillas, marcadas. Lea el valor en la imagen y escríbalo.',
  differsMark: '(difiere)',
  capturesHead: 'Captura 1 · Captura 2 · Valor correcto',
  sendVerified: 'Registrar valores verificados',
  // Cotejo.
  cotejoNotFound: 'No se encontró: {reason}',
  cotejoNotRecorded: 'No se registró el cotejo: {reason}',
  cotejoAccepted: 'Acta {key} cotejada: coincide con lo publicado.',
  cotejoReopened: 'Acta {key} reabierta: vuelve a captura.',
  actaKeyLabel: 'Clave del acta (CLAVE_ACTA)',
  find: 'Buscar',
  state: 'estado',
  cotejada0: 'sin cotejar',
  cotejada1: 'cotejada',
  cotejada2: 'cotejada con modificación',
  cotejada3: 'en corrección',
  noPublishedValues: 'Esta acta no tiene valores publicados: el cotejo se hace sobre actas verificadas.',
  publishedValues: 'Valores publicados',
  cotejoAccept: 'Coincide con el acta: aceptar',
  cotejoWhat: 'Qué no coincide',
  cotejoReopen: 'No coincide: reabrir para nueva captura',
  // Dashboard.
  pendingCapture: 'Por capturar',
  pendingVerification: 'Por verificar',
  verifiedTile: 'Verificadas',
  sinActa: 'Sin acta',
  perMinute: 'Verificadas por minuto',
  dashboardNote:
    'Actas de toda la elección. «Por capturar» suma las que esperan su primera o su segunda captura. El ritmo se mide entre las dos últimas actualizaciones de esta pantalla (cada 10 segundos).',
  packagesCaption: 'Paquetes recibidos por CATD',
  received: 'Recibidos',
  refusedConflict: 'Rechazados (conflicto)',
  receivedLastHour: 'Recibidos, última hora',
  refusedLastHour: 'Rechazados, última hora',
  conflictNote:
    'Un rechazo por conflicto es un paquete cuya acta ya tiene otra imagen registrada: queda guardado para revisión y no se publica.',
  qualityCaption: 'Control de calidad de imágenes: {rejected} rechazadas, {review} por revisar',
  time: 'Hora',
  acta: 'Acta',
  result: 'Resultado',
  reason: 'Motivo',
  qrLabel: 'etiqueta QR: {qr}',
  rejected: 'Rechazada',
  toReview: 'Por revisar',
  qualityNote:
    'Una imagen rechazada no se guarda: el dispositivo recibe el motivo y se toma de nuevo. Una imagen «por revisar» tiene una etiqueta QR que no se lee o que nombra otra acta: se recibe solo cuando la persona del dispositivo confirma la clave, y queda señalada aquí para revisarla. Cuenta desde que arrancó este nodo; la bitácora las registra todas.',
  // The acta reader (reader_panel.tsx).
  readerTitle: 'Lector de actas',
  readerMode: 'Modo: {mode}',
  readerShadow: 'sombra',
  readerOff: 'apagado',
  readerAssistOn:
    'Asistencia: activa. El lector cuenta como una de las dos capturas ciegas de cada acta que lee con confianza en todos sus recuadros; una persona teclea la otra y toda diferencia va a un verificador. Acuerdo: {agreement} en las últimas {count} actas puntuadas (umbral {threshold}).',
  readerAssistOff:
    'Asistencia: en sombra ({why}); sus lecturas no cuentan como capturas. Acuerdo: {agreement} en las últimas {count} actas puntuadas (umbral {threshold}); ha vuelto a sombra {fallbacks} veces esta noche.',
  readerAssistBelow: 'el acuerdo cayó bajo el umbral; necesita una ventana nueva completa',
  readerAssistFew: 'aún no hay suficientes actas puntuadas: {scored} de {needed}',
  readerNote:
    'El lector lee la imagen de cada acta junto a las personas que la capturan y aquí se mide contra lo que ellas verificaron. No captura ni publica ningún valor: cada cifra publicada la capturaron y verificaron personas. Estas cifras se publican en cada corte (json/reader.json).',
  readerActasRead: 'Actas leídas',
  readerBoxesRead: 'Recuadros leídos',
  readerFailures: 'Actas que no pudo leer',
  readerQueue: 'En espera en este nodo',
  readerAgreementCaption: 'Coincidencia con los valores verificados',
  readerScoredBy: 'Actas verificadas',
  readerByAgreement: 'Dos capturas coincidentes',
  readerByVerificador: 'Resueltas por verificador(a)',
  readerActas: 'Actas',
  readerActasExact: 'Actas idénticas',
  readerBoxAgreement: 'Recuadros correctos',
  readerConfidentAgreement: 'Recuadros seguros correctos (confianza ≥ {threshold})',
  readerCalibrationCaption: 'Calibración: confianza del lector y acierto observado',
  readerConfidence: 'Confianza',
  readerBoxes: 'Recuadros',
  readerRight: 'Correctos',
  readerAccuracy: 'Acierto',
  readerDisagreementsCaption: 'Diferencias con lo verificado: {shown} más recientes de {total}',
  readerBox: 'Recuadro',
  readerRead: 'Leído',
  readerVerified: 'Verificado',
  readerImage: 'Imagen',
  readerModel: 'Modelo (SHA-256): {sha}',
  // Administration.
  securityKey: 'Llave de seguridad',
  securityKeyHelp:
    'Registre su llave una vez; cada acción privilegiada pide confirmarla si no lo hizo en los últimos 10 minutos.',
  keyRegistered: 'Llave registrada.',
  keyNotRegistered: 'No se registró la llave: {reason}',
  registerKey: 'Registrar una llave de seguridad',
  keyConfirmed: 'Confirmado con la llave por 10 minutos.',
  keyNotConfirmed: 'No se confirmó: {reason}',
  confirmKey: 'Confirmar con la llave',
  keyDidNotRegister: 'la llave de seguridad no se registró ({detail})',
  keyDidNotConfirm: 'la llave de seguridad no confirmó ({detail})',
  publication: 'Publicación',
  notPublished: 'No se publicó: {reason}',
  cutPublished: 'Corte {id} publicado (número {sequence}).',
  finalCutPublished: 'Corte {id} publicado (número {sequence}, final).',
  publishNow: 'Publicar un corte ahora',
  revokeDevice: 'Revocar un dispositivo',
  deviceRevoked: 'Dispositivo {id} revocado: su siguiente paquete será rechazado.',
  notRevoked: 'No se revocó: {reason}',
  deviceId: 'Identificador del dispositivo',
  revoke: 'Revocar',
  purgeTitle: 'Purga de accesos',
  purgeDone: 'Purga hecha: sesiones, segundos factores y llaves de dispositivos del ámbito, revocados.',
  purgeNotDone: 'No se hizo la purga: {reason}',
  purgeScope: 'Ámbito (nacional, entidad:NN o catd:ID)',
  purgeConfirm: 'Entiendo que todas las personas y dispositivos del ámbito deberán volver a darse de alta.',
  purge: 'Purgar',
  changeAccess: 'Cambiar acceso de {username}',
  accessUpdated: 'Acceso de {username} actualizado.',
  accessNotChanged: 'No se cambió el acceso: {reason}',
  accountState: 'Estado',
  enabled: 'habilitada',
  disabledClosesSessions: 'deshabilitada (cierra sus sesiones)',
  expiresEmptyNever: 'Vence (vacío: no vence)',
  reasonJournaled: 'Motivo (queda en la bitácora)',
  saveAccess: 'Guardar acceso',
  accounts: 'Cuentas',
  accountCreated: 'Cuenta {username} creada ({role}, {scope}).',
  handSeed:
    'Entregue a la persona, en mano, su semilla de segundo factor para su aplicación de autenticación.',
  shownOnce: 'No se volverá a mostrar.',
  seed: 'Semilla',
  seedHanded: 'Ya la entregué',
  accountNotCreated: 'No se creó la cuenta: {reason}',
  name: 'Nombre',
  role: 'Función',
  scope: 'Ámbito',
  initialPassword: 'Contraseña inicial (12 caracteres o más; entréguela en mano)',
  expiresOptional: 'Vence (opcional)',
  createAccount: 'Crear cuenta',
  accountsOf: 'Cuentas del ámbito {scope}',
  access: 'Acceso',
  accountDisabled: 'deshabilitada',
  accountNoSecondFactor: 'sin segundo factor (volver a dar de alta)',
  accountLocked: 'en espera tras intentos fallidos',
  accountActive: 'activa',
  expires: 'vence {date}',
  // The access review.
  screenAccessReview: 'Revisión de accesos',
  accessReviewOf: 'Elección {election} · ámbito {scope}',
  reportHash: 'Huella SHA-256 del informe',
  generatedAt: 'Generado {date}',
  dormantDaysLabel: 'Días sin uso para considerarla inactiva',
  reviewAccounts: 'Cuentas',
  reviewDisabled: 'deshabilitadas: {count}',
  reviewDevices: 'Dispositivos',
  reviewRevoked: 'revocados: {count}',
  reviewFindings: 'Hallazgos',
  filterByFinding: 'Filtrar por hallazgo',
  filterAll: 'Todo',
  filterAny: 'Con algún hallazgo',
  factors: 'Factores',
  factorPassword: 'contraseña',
  factorKeys: 'llaves de seguridad: {count}',
  lastUse: 'Último uso',
  never: 'nunca',
  findingsHead: 'Hallazgos',
  noFindings: 'ninguno',
  deviceHead: 'Dispositivo',
  originHead: 'Origen',
  boundToHead: 'Vinculado a',
  lastPackage: 'Último paquete',
  deviceRevokedState: 'revocado',
  accountsCaption: 'Cuentas ({shown} de {total})',
  devicesCaption: 'Dispositivos ({shown} de {total})',
  signerPlaceholder: 'NOMBRE',
  certifyHow:
    'Para firmar esta revisión, quien la revisó ejecuta en el centro el comando siguiente; se registra en la bitácora solo si el informe sigue teniendo esta huella:',
  // Password change (docs/operators.md).
  changePassword: 'Cambiar contraseña',
  changePasswordTitle: 'Cambiar su contraseña',
  currentPassword: 'Contraseña actual',
  newPassword: 'Contraseña nueva (12 caracteres o más; una frase larga y propia)',
  repeatPassword: 'Repita la contraseña nueva',
  codeIfAsked: 'Código de su aplicación de autenticación (si inició sesión hace más de 10 minutos)',
  passwordsDiffer: 'Las dos contraseñas nuevas no coinciden.',
  passwordChanged: 'Contraseña cambiada. Sus otras sesiones se cerraron.',
  mustChangeBreached:
    'Su contraseña aparece en filtraciones publicadas de otros servicios: cámbiela antes de continuar.',
  mustChangeReset: 'Una persona administradora le asignó esta contraseña: cámbiela antes de continuar.',
  backToWork: 'Volver',
  // The security screen (security.tsx): alerts raised by the detections.
  screenSecurity: 'Seguridad',
  alertsCaption: 'Alertas de seguridad, la más reciente primero',
  noAlerts: 'Sin alertas.',
  severity: 'Gravedad',
  detection: 'Detección',
  subject: 'Sobre',
  evidence: 'Indicios',
  responsesTaken: 'Respuesta',
  noResponse: 'solo alerta',
  allSeverities: 'todas',
  allDetections: 'todas',
  alertsNote: 'Se actualiza cada 10 s. Cada alerta queda también en el registro público de operaciones.',
  severityWarning: 'aviso',
  severityHigh: 'alta',
  severityCritical: 'crítica',
  detectionCredentialStuffing: 'Relleno de credenciales',
  detectionPasswordSpraying: 'Rociado de contraseñas',
  detectionBruteForce: 'Fuerza bruta',
  detectionSuccessAfterFailures: 'Entrada tras fallos',
  detectionOutsideWindow: 'Fuera del horario de la jornada',
  detectionNewNetworkAdmin: 'Administración desde una red nueva',
  detectionConcurrentSources: 'Misma cuenta desde dos redes',
  detectionDeviceRate: 'Dispositivo con envíos excesivos',
  detectionDeviceScope: 'Dispositivo con actas de otro CATD',
  detectionTotpReused: 'Código TOTP reutilizado',
  detectionDecoyUsed: 'Señuelo usado',
  responseStepUp: 'llave de seguridad de nuevo',
  responseThrottle: 'dirección bloqueada un tiempo',
  responseRevokeSessions: 'sesiones revocadas',
  responseRevokeDevice: 'dispositivo revocado',
  subjectAddress: 'dirección {value}',
  subjectOperatorId: 'cuenta {value}',
  subjectUsername: 'usuario {value}',
  subjectDeviceId: 'dispositivo {value}',
  subjectDecoyId: 'señuelo {value}',
  subjectCenter: 'todo el centro',
  evidenceAttempts: 'intentos',
  evidenceAccounts: 'cuentas',
  evidenceUnknownAccounts: 'usuarios inexistentes',
  evidenceUnknownAttempts: 'intentos con usuario inexistente',
  evidenceAddresses: 'direcciones',
  evidenceFailures: 'fallos',
  evidenceMinutesOutside: 'minutos fuera',
  evidenceKnownNetworks: 'redes conocidas',
  evidenceNetworks: 'redes',
  evidencePackages: 'paquetes',
  evidenceUsualPerWindow: 'habitual por ventana',
  evidenceActas: 'actas',
  evidenceReplays: 'reusos',
  evidenceUses: 'usos',
};

export type Words = typeof es;

const en: Words = {
  consoleTitle: 'OpenPREP · Operations console',
  consoleName: 'OpenPREP · Console',
  operationConsole: 'Operations console',
  signInTitle: 'Operations console — sign in',
  username: 'Username',
  password: 'Password',
  totpCode: 'Code from your authenticator app (6 digits)',
  signIn: 'Sign in',
  signOut: 'Sign out',
  loading: 'Loading…',
  otherLanguage: 'Español',
  otherLanguageCode: 'es',
  screens: 'Screens',
  screenCapture: 'Capture',
  screenVerification: 'Verification',
  screenCotejo: 'Cotejo (check against the acta)',
  screenDashboard: 'Dashboard',
  screenAdmin: 'Administration',
  noScreens: 'Your role has no screens in this console yet.',
  roleCapturista: 'Capturista (data entry)',
  roleVerificador: 'Verifier',
  roleCoordinador: 'Coordinator',
  roleAuditor: 'Auditor',
  roleSeguridad: 'Security',
  roleAdministrador: 'Administrator',
  rolePublicador: 'Publisher',
  noImage: 'This acta has no image.',
  imageAlt: 'Image of acta {key}',
  sheetCaption: 'Sheet straightened and cropped for reading',
  originalImage: 'original image',
  noKey: 'no key',
  boxBoletasSobrantes: 'Leftover ballots (boletas sobrantes)',
  boxPersonasVotaron: 'People who voted',
  boxRepresentantesVotaron: 'Party representatives who voted',
  boxVotosSacados: 'Votes taken out of the ballot box',
  boxTotalAsentado: 'Total votes (as written on the acta)',
  keysNumbers: 'Digits: the value',
  keysNext: 'next box (on the last one, send)',
  keysPrevious: 'previous',
  keyEnter: 'Enter',
  keyShift: 'Shift',
  findingNext: 'Looking for the next acta…',
  noCapture: 'No actas waiting for capture; checking every few seconds.',
  noVerification: 'No actas waiting for verification; checking every few seconds.',
  missingBox: 'The box “{box}” is empty.',
  notRecorded: 'Not recorded: {reason}',
  claimTaken:
    'Not recorded: the time for this acta ran out and it went to someone else. Go on with the next one.',
  movedOn: 'Not recorded: {reason} Here is the next acta.',
  captureTitle: 'Capture · acta',
  verificationTitle: 'Verification · acta',
  captureSent: 'Acta {key} recorded.',
  sendCapture: 'Send capture',
  verified: 'Acta {key} verified.',
  differOne: 'The two captures differ in 1 box, marked. Read the value on the image and type it.',
  differMany: 'The two captures differ in {count} boxes, marked. Read the value on the image and type it.',
  differsMark: '(differs)',
  capturesHead: 'Capture 1 · Capture 2 · Right value',
  sendVerified: 'Record the verified values',
  cotejoNotFound: 'Not found: {reason}',
  cotejoNotRecorded: 'The cotejo was not recorded: {reason}',
  cotejoAccepted: 'Acta {key} checked (cotejada): it matches what was published.',
  cotejoReopened: 'Acta {key} reopened: it goes back to capture.',
  actaKeyLabel: 'Acta key (CLAVE_ACTA)',
  find: 'Find',
  state: 'state',
  cotejada0: 'not checked',
  cotejada1: 'checked (cotejada)',
  cotejada2: 'checked, with a correction',
  cotejada3: 'being corrected',
  noPublishedValues: 'This acta has no published values: cotejo is done on verified actas.',
  publishedValues: 'Published values',
  cotejoAccept: 'Matches the acta: accept',
  cotejoWhat: 'What does not match',
  cotejoReopen: 'Does not match: reopen for a new capture',
  pendingCapture: 'To capture',
  pendingVerification: 'To verify',
  verifiedTile: 'Verified',
  sinActa: 'No acta (sin acta)',
  perMinute: 'Verified per minute',
  dashboardNote:
    'Actas of the whole election. “To capture” adds those waiting for their first or second capture. The rate is measured between this screen’s last two refreshes (every 10 seconds).',
  packagesCaption: 'Packages received per CATD',
  received: 'Received',
  refusedConflict: 'Refused (conflict)',
  receivedLastHour: 'Received, last hour',
  refusedLastHour: 'Refused, last hour',
  conflictNote:
    'A conflict is a package whose acta already has another image: it is kept for review and not published.',
  qualityCaption: 'Image quality control: {rejected} rejected, {review} to review',
  time: 'Time',
  acta: 'Acta',
  result: 'Result',
  reason: 'Reason',
  qrLabel: 'QR label: {qr}',
  rejected: 'Rejected',
  toReview: 'To review',
  qualityNote:
    'A rejected image is not kept: the device gets the reason and the photo is taken again. An image “to review” has a QR label that does not read or names another acta: it is received only when the person at the device confirms the key, and it is flagged here for review. Counted since this node started; the journal records them all.',
  // The acta reader (reader_panel.tsx).
  readerTitle: 'Acta reader',
  readerMode: 'Mode: {mode}',
  readerShadow: 'shadow',
  readerOff: 'off',
  readerAssistOn:
    'Assist: active. The reader counts as one of the two blind captures of each acta it reads confidently in every box; a person types the other and any difference goes to a verificador. Agreement: {agreement} over the last {count} scored actas (threshold {threshold}).',
  readerAssistOff:
    'Assist: in shadow ({why}); its readings do not count as captures. Agreement: {agreement} over the last {count} scored actas (threshold {threshold}); it has fallen back to shadow {fallbacks} times tonight.',
  readerAssistBelow: 'agreement fell below the threshold; it needs a whole fresh window',
  readerAssistFew: 'not enough scored actas yet: {scored} of {needed}',
  readerNote:
    'The reader reads each acta image beside the people who capture it, and is measured here against what they verified. It captures and publishes no value: every published figure was captured and verified by people. These figures are published in every cut (json/reader.json).',
  readerActasRead: 'Actas read',
  readerBoxesRead: 'Boxes read',
  readerFailures: 'Actas it could not read',
  readerQueue: 'Waiting on this node',
  readerAgreementCaption: 'Agreement with the verified values',
  readerScoredBy: 'Verified actas',
  readerByAgreement: 'Two captures that agreed',
  readerByVerificador: 'Resolved by a verificador',
  readerActas: 'Actas',
  readerActasExact: 'Identical actas',
  readerBoxAgreement: 'Boxes right',
  readerConfidentAgreement: 'Confident boxes right (confidence ≥ {threshold})',
  readerCalibrationCaption: "Calibration: the reader's confidence and how often it was right",
  readerConfidence: 'Confidence',
  readerBoxes: 'Boxes',
  readerRight: 'Right',
  readerAccuracy: 'Accuracy',
  readerDisagreementsCaption: 'Differences from the verified values: latest {shown} of {total}',
  readerBox: 'Box',
  readerRead: 'Read',
  readerVerified: 'Verified',
  readerImage: 'Image',
  readerModel: 'Model (SHA-256): {sha}',
  securityKey: 'Security key',
  securityKeyHelp:
    'Register your key once; every privileged action asks you to confirm with it if you have not in the last 10 minutes.',
  keyRegistered: 'Key registered.',
  keyNotRegistered: 'The key was not registered: {reason}',
  registerKey: 'Register a security key',
  keyConfirmed: 'Confirmed with the key for 10 minutes.',
  keyNotConfirmed: 'Not confirmed: {reason}',
  confirmKey: 'Confirm with the key',
  keyDidNotRegister: 'the security key did not register ({detail})',
  keyDidNotConfirm: 'the security key did not confirm ({detail})',
  publication: 'Publication',
  notPublished: 'Not published: {reason}',
  cutPublished: 'Cut {id} published (number {sequence}).',
  finalCutPublished: 'Cut {id} published (number {sequence}, final).',
  publishNow: 'Publish a cut now',
  revokeDevice: 'Revoke a device',
  deviceRevoked: 'Device {id} revoked: its next package will be refused.',
  notRevoked: 'Not revoked: {reason}',
  deviceId: 'Device identifier',
  revoke: 'Revoke',
  purgeTitle: 'Access purge',
  purgeDone: 'Purge done: sessions, second factors and device keys of the scope revoked.',
  purgeNotDone: 'The purge was not done: {reason}',
  purgeScope: 'Scope (nacional, entidad:NN or catd:ID)',
  purgeConfirm: 'I understand that every person and device of the scope will have to enrol again.',
  purge: 'Purge',
  changeAccess: 'Change access of {username}',
  accessUpdated: 'Access of {username} updated.',
  accessNotChanged: 'Access not changed: {reason}',
  accountState: 'State',
  enabled: 'enabled',
  disabledClosesSessions: 'disabled (ends its sessions)',
  expiresEmptyNever: 'Expires (empty: never)',
  reasonJournaled: 'Reason (kept in the journal)',
  saveAccess: 'Save access',
  accounts: 'Accounts',
  accountCreated: 'Account {username} created ({role}, {scope}).',
  handSeed: 'Hand the person, in person, the second-factor seed for their authenticator app.',
  shownOnce: 'It will not be shown again.',
  seed: 'Seed',
  seedHanded: 'I have handed it over',
  accountNotCreated: 'The account was not created: {reason}',
  name: 'Name',
  role: 'Role',
  scope: 'Scope',
  initialPassword: 'Initial password (12 characters or more; hand it over in person)',
  expiresOptional: 'Expires (optional)',
  createAccount: 'Create account',
  accountsOf: 'Accounts of scope {scope}',
  access: 'Access',
  accountDisabled: 'disabled',
  accountNoSecondFactor: 'no second factor (enrol again)',
  accountLocked: 'waiting after failed attempts',
  accountActive: 'active',
  expires: 'expires {date}',
  // The access review.
  screenAccessReview: 'Access review',
  accessReviewOf: 'Election {election} · scope {scope}',
  reportHash: 'SHA-256 fingerprint of the report',
  generatedAt: 'Generated {date}',
  dormantDaysLabel: 'Days without use before an account counts as dormant',
  reviewAccounts: 'Accounts',
  reviewDisabled: 'disabled: {count}',
  reviewDevices: 'Devices',
  reviewRevoked: 'revoked: {count}',
  reviewFindings: 'Findings',
  filterByFinding: 'Filter by finding',
  filterAll: 'Everything',
  filterAny: 'With any finding',
  factors: 'Factors',
  factorPassword: 'password',
  factorKeys: 'security keys: {count}',
  lastUse: 'Last use',
  never: 'never',
  findingsHead: 'Findings',
  noFindings: 'none',
  deviceHead: 'Device',
  originHead: 'Origin',
  boundToHead: 'Bound to',
  lastPackage: 'Last package',
  deviceRevokedState: 'revoked',
  accountsCaption: 'Accounts ({shown} of {total})',
  devicesCaption: 'Devices ({shown} of {total})',
  signerPlaceholder: 'NAME',
  certifyHow:
    'To sign this review, the person who reviewed it runs the following command at the center; it is journaled only if the report still has this fingerprint:',
  changePassword: 'Change password',
  changePasswordTitle: 'Change your password',
  currentPassword: 'Current password',
  newPassword: 'New password (12 characters or more; a long phrase of your own)',
  repeatPassword: 'Repeat the new password',
  codeIfAsked: 'Code from your authenticator app (if you signed in more than 10 minutes ago)',
  passwordsDiffer: 'The two new passwords do not match.',
  passwordChanged: 'Password changed. Your other sessions were signed out.',
  mustChangeBreached:
    'Your password appears in published breaches of other services: change it before going on.',
  mustChangeReset: 'An administrator set this password for you: change it before going on.',
  backToWork: 'Back',
  // The security screen (security.tsx).
  screenSecurity: 'Security',
  alertsCaption: 'Security alerts, newest first',
  noAlerts: 'No alerts.',
  severity: 'Severity',
  detection: 'Detection',
  subject: 'About',
  evidence: 'Evidence',
  responsesTaken: 'Response',
  noResponse: 'alert only',
  allSeverities: 'all',
  allDetections: 'all',
  alertsNote: 'Refreshed every 10 s. Every alert is also kept in the public journal of operations.',
  severityWarning: 'warning',
  severityHigh: 'high',
  severityCritical: 'critical',
  detectionCredentialStuffing: 'Credential stuffing',
  detectionPasswordSpraying: 'Password spraying',
  detectionBruteForce: 'Brute force',
  detectionSuccessAfterFailures: 'Sign-in after failures',
  detectionOutsideWindow: "Outside the night's hours",
  detectionNewNetworkAdmin: 'Administration from a new network',
  detectionConcurrentSources: 'One account from two networks',
  detectionDeviceRate: 'Device sending too much',
  detectionDeviceScope: "Device sending another CATD's actas",
  detectionTotpReused: 'TOTP code reused',
  detectionDecoyUsed: 'Decoy used',
  responseStepUp: 'security key again',
  responseThrottle: 'address blocked for a while',
  responseRevokeSessions: 'sessions revoked',
  responseRevokeDevice: 'device revoked',
  subjectAddress: 'address {value}',
  subjectOperatorId: 'account {value}',
  subjectUsername: 'username {value}',
  subjectDeviceId: 'device {value}',
  subjectDecoyId: 'decoy {value}',
  subjectCenter: 'the whole center',
  evidenceAttempts: 'attempts',
  evidenceAccounts: 'accounts',
  evidenceUnknownAccounts: 'unknown usernames',
  evidenceUnknownAttempts: 'attempts with unknown usernames',
  evidenceAddresses: 'addresses',
  evidenceFailures: 'failures',
  evidenceMinutesOutside: 'minutes outside',
  evidenceKnownNetworks: 'known networks',
  evidenceNetworks: 'networks',
  evidencePackages: 'packages',
  evidenceUsualPerWindow: 'usual per window',
  evidenceActas: 'actas',
  evidenceReplays: 'replays',
  evidenceUses: 'uses',
};

export const WORDS: Readonly<Record<Language, Words>> = { es, en };

/** Dates and numbers as each language writes them (the center's time zone is the browser's). */
export const LOCALE: Readonly<Record<Language, string>> = { es: 'es-MX', en: 'en-US' };

type Pair = readonly [es: string, en: string];

/** The center's error codes (`{ error, message }` answers) a person at the console meets. */
export const SERVER_ERRORS: Readonly<Record<string, Pair>> = {
  'sign-in-failed': [
    'No se pudo iniciar sesión: revise el usuario, la contraseña y el código.',
    'Sign-in failed: check the username, password and code.',
  ],
  throttled: [
    'Demasiados intentos: espere un momento y vuelva a intentarlo.',
    'Too many attempts: wait a moment and try again.',
  ],
  'no-session': ['Su sesión terminó: inicie sesión de nuevo.', 'Your session ended: sign in again.'],
  'step-up-required': [
    'Esta operación pide confirmar con su llave de seguridad.',
    'This operation asks you to confirm with your security key.',
  ],
  'claim-taken': [
    'No se registró: el tiempo de esta acta se agotó y se asignó a otra persona.',
    'Not recorded: this acta’s time ran out and it went to someone else.',
  ],
  'after-close': [
    'No se registró: el PREP ya cerró (se publicó el corte final) y sus resultados ya no cambian.',
    'Not recorded: the PREP has closed (the final cut is published) and its results no longer change.',
  ],
  'username-taken': ['Ese nombre de usuario ya existe.', 'That username already exists.'],
  'too-short': ['La contraseña es demasiado corta.', 'The password is too short.'],
  'too-long': ['El texto es demasiado largo.', 'The text is too long.'],
  'bad-role': ['Ese rol no existe.', 'No such role.'],
  'bad-scope': ['Ese ámbito no es válido.', 'That scope is not valid.'],
  'bad-code': ['El código no es válido.', 'The code is not valid.'],
  'no-such-operator': ['Esa cuenta no existe.', 'No such account.'],
  'unknown-acta': ['Esa acta no existe.', 'No such acta.'],
  'not-handed-out': ['Esa acta no le fue asignada.', 'That acta was not handed to you.'],
  busy: ['El centro está ocupado: vuelva a intentarlo.', 'The center is busy: try again.'],
  // Passwords (src/auth/password.ts, breached_passwords.ts; POST /api/v1/password).
  common: [
    'Esa contraseña es demasiado común: elija una frase más larga y propia.',
    'That password is too common: choose a longer phrase of your own.',
  ],
  context: [
    'La contraseña no debe contener su nombre, su usuario ni el del sistema.',
    'The password must not contain your name, your username or the system’s.',
  ],
  'breached-password': [
    'Esa contraseña aparece en filtraciones publicadas de otros servicios: elija otra.',
    'That password appears in published breaches of other services: choose another one.',
  ],
  'breach-check-unavailable': [
    'El centro no pudo revisar la contraseña contra las filtraciones: intente más tarde.',
    'The center could not check the password against breaches: try again later.',
  ],
  'wrong-password': [
    'La contraseña actual o el código no son correctos.',
    'The current password or the code is not right.',
  ],
  'code-required': [
    'Escriba también un código de su aplicación de autenticación.',
    'Type a code from your authenticator app too.',
  ],
  'same-password': [
    'La contraseña nueva debe ser distinta de la actual.',
    'The new password must differ from the current one.',
  ],
  'password-change-required': [
    'Cambie su contraseña antes de continuar.',
    'Change your password before going on.',
  ],
  // What the acta's life allows (src/domain/acta_lifecycle.ts): the acta moved on without this person.
  'not-awaiting-capture': [
    'esta acta ya no espera captura (otra persona la terminó o ya está verificada).',
    'this acta no longer awaits capture (someone else finished it, or it is already verified).',
  ],
  'already-captured': [
    'usted ya capturó esta acta; la otra captura la hace otra persona.',
    'you have already captured this acta; the other capture is someone else’s.',
  ],
  'same-operator': [
    'usted ya capturó esta acta; la otra captura la hace otra persona.',
    'you have already captured this acta; the other capture is someone else’s.',
  ],
  'verifier-was-capturista': [
    'usted capturó esta acta: la verifica otra persona.',
    'you captured this acta: someone else verifies it.',
  ],
  'not-in-mismatch': [
    'esta acta ya no espera verificación (otra persona la verificó).',
    'this acta no longer awaits verification (someone else verified it).',
  ],
  'not-verified': [
    'esta acta aún no está verificada: el cotejo se hace sobre actas verificadas.',
    'this acta is not verified yet: cotejo is done on verified actas.',
  ],
  'bad-fields': [
    'los valores no son válidos: revise cada casilla y envíe de nuevo.',
    'the values are not valid: check each box and send again.',
  ],
  'not-found': ['Esa acta no existe.', 'No such acta.'],
  'out-of-scope': ['Esa acta está fuera de su ámbito.', 'That acta is outside your scope.'],
  csrf: [
    'La sesión de esta pestaña no es válida: inicie sesión de nuevo.',
    'This tab’s session is not valid: sign in again.',
  ],
  forbidden: ['Su rol no permite esta operación.', 'Your role does not allow this operation.'],
  unreachable: ['No se puede contactar al centro.', 'The center cannot be reached.'],
  malformed: ['El centro dio una respuesta inesperada.', 'The center gave an unexpected answer.'],
};

/** A code the console does not know: said generally, the center's text as technical detail. */
export const UNKNOWN_ERROR: Pair = ['El centro rechazó la operación.', 'The center refused the operation.'];
export const TECHNICAL_DETAIL: Pair = ['detalle técnico', 'technical detail'];

export const ACTA_STATUS: Readonly<Record<string, Pair>> = {
  received: ['recibida', 'received'],
  captured_once: ['capturada una vez', 'captured once'],
  mismatch: ['capturas distintas', 'captures differ'],
  verified: ['verificada', 'verified'],
  sin_acta: ['sin acta', 'no acta (sin acta)'],
};

/** The access review's findings (src/security/access_review.ts's closed list). */
export const ACCESS_FINDINGS: Readonly<Record<string, Pair>> = {
  'never-used': ['nunca usada', 'never used'],
  dormant: ['inactiva', 'dormant'],
  'expired-not-disabled': ['vencida y no deshabilitada', 'expired, not disabled'],
  'not-certified': ['no certificada para esta elección', 'not certified for this election'],
  'no-webauthn': ['sin llave de seguridad', 'no security key'],
  'no-totp': ['sin segundo factor (TOTP)', 'no second factor (TOTP)'],
  'scope-too-broad': ['ámbito más amplio que su función', 'scope broader than its role needs'],
  'device-never-used': ['nunca envió un paquete', 'never sent a package'],
  'device-dormant': ['sin paquetes recientes', 'no recent packages'],
};

/**
 * The quality gate's reasons (src/gate/judge.ts's closed set) in English. In Spanish the
 * gate's own sentence is shown: it is the one the device showed its operator, with the
 * measured detail (which corner, how many degrees).
 */
export const QUALITY_REASONS_EN: Readonly<Record<string, string>> = {
  empty_file: 'the file is empty',
  not_an_image: 'the file is not an image',
  damaged_file: 'the image file is damaged',
  extra_data: 'the file carries data after the image',
  too_many_pixels: 'the image is too large',
  no_sheet: 'the sheet cannot be made out',
  sideways: 'the sheet is sideways',
  skewed: 'the sheet is skewed',
  missing_corner: 'a corner of the sheet is missing',
  cut_edge: 'an edge of the sheet is cut off',
  keystone: 'the photo is taken at too steep an angle (strong perspective)',
  low_resolution: 'the resolution is too low to read the digits',
  too_dark: 'the image is too dark',
  overexposed: 'the image is overexposed',
  glare: 'a glare covers part of the acta',
  shadow: 'a cast shadow lies over the boxes of the acta',
  low_contrast: 'the image has no contrast',
  blurry: 'the image is blurred',
  motion_blur: 'the image is shaken',
  heavy_compression: 'the image is too compressed',
  not_an_acta: 'it does not look like a tally sheet (acta)',
  qr_unreadable: 'the QR label does not read',
  qr_mismatch: 'the QR label names another acta',
};

/**
 * The console's language for what is built outside a screen (the API's messages): set by the
 * console when the person chooses one, read when a message is made.
 */
let current: Language = 'es';
export function setLanguage(language: Language): void {
  current = language;
}
export function currentLanguage(): Language {
  return current;
}

const pick = (pair: Pair, language: Language) => (language === 'es' ? pair[0] : pair[1]);

/** The center's answer in words: known codes translated; otherwise null (the caller says it generally). */
export function serverErrorWords(code: string, language: Language = current): string | null {
  const known = SERVER_ERRORS[code];
  return known === undefined ? null : pick(known, language);
}

export function unknownErrorWords(detail: string, language: Language = current): string {
  return `${pick(UNKNOWN_ERROR, language)} (${pick(TECHNICAL_DETAIL, language)}: ${detail})`;
}

export function actaStatusWords(status: string, language: Language = current): string {
  const known = ACTA_STATUS[status];
  return known === undefined ? status : pick(known, language);
}

/** A gate reason: the gate's Spanish sentence, or its code's English one. */
export function qualityReasonWords(code: string, spanish: string, language: Language): string {
  return language === 'es' ? spanish : (QUALITY_REASONS_EN[code] ?? code);
}

export function findingWords(code: string, language: Language = current): string {
  const known = ACCESS_FINDINGS[code];
  return known === undefined ? code : pick(known, language);
}

/** The words of a code (a detection, a response, a severity, an evidence count): `prefix` + its camel case. */
export function codeWords(prefix: string, code: string, words: Words): string {
  const camel = code.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
  const key = `${prefix}${camel.charAt(0).toUpperCase()}${camel.slice(1)}` as keyof Words;
  return key in words ? words[key] : code;
}

export function roleWords(role: string, words: Words): string {
  const key = `role${role.charAt(0).toUpperCase()}${role.slice(1)}` as keyof Words;
  return key in words ? words[key] : role;
}

/** The fixed pieces of a catalogue's sentences (split at their slots) that the other side does not have. */
function onlyIn(mine: readonly string[], theirs: readonly string[]): string[] {
  return mine
    .flatMap((s) => s.split(/\{\w+\}/))
    .map((s) => s.trim())
    .filter((s) => s.length >= 4 && !theirs.some((text) => text.includes(s)));
}

/** Every sentence of the catalogue, on each side. */
function sides(): { spanish: string[]; english: string[] } {
  const pairs = [
    ...Object.values(SERVER_ERRORS),
    ...Object.values(ACTA_STATUS),
    ...Object.values(ACCESS_FINDINGS),
    UNKNOWN_ERROR,
    TECHNICAL_DETAIL,
  ];
  return {
    spanish: [...pairs.map(([spanish]) => spanish), ...Object.values(es)],
    english: [
      ...pairs.map(([, english]) => english),
      ...Object.values(en),
      ...Object.values(QUALITY_REASONS_EN),
    ],
  };
}

/** Every Spanish string of the catalogue its English side does not share (for the tests). */
export function spanishOnlyStrings(): string[] {
  const { spanish, english } = sides();
  return onlyIn(spanish, english);
}

/** Every English string of the catalogue its Spanish side does not share (for the tests). */
export function englishOnlyStrings(): string[] {
  const { spanish, english } = sides();
  return onlyIn(english, spanish);
}
