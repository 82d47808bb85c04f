// i18n.js -- every string the page shows, in English and Russian, and
// t(key, params) to get one.  The language is the user's choice (kept in
// localStorage "lang") or else the browser's first language we have.
// Params fill "{name}" slots; a string given as {one, few, many, other} is
// picked with Intl.PluralRules on params.n.  Static markup names its
// strings with data-i18n (text), data-i18n-placeholder, data-i18n-label
// (aria-label) and data-i18n-title; applyStatic() fills them.
const STRINGS = {
  en: {
    'app.title': 'Parley',
    'app.title.unread': '({n}) Parley',
    'boot.loading': 'Loading…',
    'lang.label': 'Language',
    'login.heading': 'Sign in to continue',
    'login.heading.register': 'Create your account',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.submit.register': 'Create account',
    'login.switch.text': 'No account yet?',
    'login.switch.text.register': 'Already have an account?',
    'login.switch': 'Create one',
    'login.switch.register': 'Sign in',
    'login.err.empty': 'Enter your username and password.',
    'login.err.username': 'Usernames are 3–32 letters, digits, _ . or -',
    'login.err.network': 'Could not reach the server. Check your connection and try again.',
    'login.err.credentials': 'Wrong username or password.',
    'login.err.rate': 'Too many attempts. Please wait a moment and try again.',
    'login.err.taken': 'That username is already taken.',
    'login.err.closed': 'Sign-up is switched off on this server.',
    'login.err.check': 'Please check the username and password.',
    'login.err.other': 'Something went wrong. Please try again.',
    'session.expired': 'Your session has expired. Please sign in again.',
    'session.elsewhere': 'You were signed out in another tab.',
    'side.label': 'Chats',
    'side.new': 'New chat',
    'side.logout': 'Log out',
    'side.empty': 'No chats yet. Start one with “New chat”.',
    'side.list': 'Your chats',
    'conn.online': 'online',
    'conn.connecting': 'connecting',
    'conn.offline': 'offline',
    'conn.title.online': 'Connected: updates arrive live',
    'conn.title.offline': 'Offline: waiting for the network',
    'conn.title.connecting': 'Reconnecting…',
    'banner.connecting': 'Connection lost. Reconnecting… New messages may be delayed.',
    'banner.offline': 'You are offline. Messages will be sent when the connection is back.',
    'chat.pane': 'Conversation',
    'chat.placeholder': 'Select a chat to start messaging',
    'chat.missing': 'That chat does not exist, or you are not a member of it.',
    'chat.back': 'Back to chats',
    'chat.back.unread': 'Back to chats, {n} unread',
    'chat.direct': 'Direct message',
    'chat.members': { one: '{n} member: {names}', other: '{n} members: {names}' },
    'chat.default': 'Chat',
    'chat.group.created': 'Group created',
    'chat.none': 'No messages yet',
    'chat.unread': { one: '{n} unread', other: '{n} unread' },
    'chat.you.prefix': 'You: ',
    'chat.unread.word': 'unread',
    'list.messages': 'Messages',
    'list.empty': 'No messages yet. Say hello!',
    'list.loading.older': 'Loading earlier messages…',
    'list.older.failed': 'Could not load earlier messages.',
    'list.load.failed': 'Could not load messages (offline). They will load when the connection is back.',
    'list.new.divider': 'New messages',
    'list.jump': 'Jump to the latest message',
    'list.jump.count': { one: '{n} new message below', other: '{n} new messages below' },
    'list.announce': '{name}: {text}',
    'list.help': 'Up and down arrows move between messages; Enter or right arrow reaches the actions of a message.',
    'day.today': 'Today',
    'day.yesterday': 'Yesterday',
    'msg.you': 'You',
    'msg.deleted': 'Message deleted',
    'msg.edited': 'edited',
    'msg.edited.at': 'Edited {time}',
    'msg.sending': 'Sending…',
    'msg.failed': 'Not sent.',
    'msg.failed.network': 'Not sent (no connection).',
    'msg.failed.reason': 'Not sent: {reason}',
    'msg.retry': 'Retry',
    'msg.discard': 'Discard',
    'msg.seen': 'Seen',
    'msg.seen.by': { one: 'Seen by {n}', other: 'Seen by {n}' },
    'msg.label': '{name} at {time}: {text}',
    'msg.more': 'More actions for message “{text}”',
    'msg.edit': 'Edit',
    'msg.edit.label': 'Edit message “{text}”',
    'msg.delete': 'Delete',
    'msg.delete.label': 'Delete message “{text}”',
    'msg.delete.confirm': 'Delete this message?',
    'msg.delete.yes.label': 'Yes, delete message “{text}”',
    'msg.cancel': 'Cancel',
    'msg.save': 'Save',
    'msg.edit.input': 'Edit message',
    'msg.edit.empty': 'A message cannot be empty (delete it instead).',
    'msg.network': 'Could not reach the server. Try again.',
    'msg.delete.network': 'Could not reach the server; the message was not deleted.',
    'msg.too.long': 'A message can be at most 4000 characters.',
    'composer.label': 'Message',
    'composer.placeholder': 'Write a message…',
    'composer.hint': 'Enter sends, Shift+Enter starts a new line. Up arrow in an empty box edits your last message.',
    'composer.hint.touch': 'Enter starts a new line; the Send button sends.',
    'composer.send': 'Send',
    'typing.one': '{a} is typing…',
    'typing.two': '{a} and {b} are typing…',
    'typing.many': 'Several people are typing…',
    'someone': 'Someone',
    'new.title': 'New chat',
    'new.kind': 'Kind of chat',
    'new.direct': 'Direct message',
    'new.group': 'Group',
    'new.group.name': 'Group name',
    'new.group.selected': 'Selected members',
    'new.search': 'Find people by username',
    'new.search.placeholder': 'Start typing a username…',
    'new.results': 'Matching users',
    'new.none': 'Nobody found with that name.',
    'new.cancel': 'Cancel',
    'new.create': 'Create group',
    'new.err.name': 'Give the group a name.',
    'new.err.members': 'Pick at least one member.',
    'new.remove': 'Remove {name}',
  },
  ru: {
    'app.title': 'Parley',
    'app.title.unread': '({n}) Parley',
    'boot.loading': 'Загрузка…',
    'lang.label': 'Язык',
    'login.heading': 'Войдите, чтобы продолжить',
    'login.heading.register': 'Создайте учётную запись',
    'login.username': 'Имя пользователя',
    'login.password': 'Пароль',
    'login.submit': 'Войти',
    'login.submit.register': 'Создать учётную запись',
    'login.switch.text': 'Ещё нет учётной записи?',
    'login.switch.text.register': 'Уже есть учётная запись?',
    'login.switch': 'Создать',
    'login.switch.register': 'Войти',
    'login.err.empty': 'Введите имя пользователя и пароль.',
    'login.err.username': 'Имя — от 3 до 32 латинских букв, цифр, _ . или -',
    'login.err.network': 'Сервер недоступен. Проверьте подключение и попробуйте ещё раз.',
    'login.err.credentials': 'Неверное имя пользователя или пароль.',
    'login.err.rate': 'Слишком много попыток. Подождите немного и попробуйте снова.',
    'login.err.taken': 'Это имя уже занято.',
    'login.err.closed': 'Регистрация на этом сервере отключена.',
    'login.err.check': 'Проверьте имя пользователя и пароль.',
    'login.err.other': 'Что-то пошло не так. Попробуйте ещё раз.',
    'session.expired': 'Сеанс истёк. Войдите снова.',
    'session.elsewhere': 'Вы вышли в другой вкладке.',
    'side.label': 'Чаты',
    'side.new': 'Новый чат',
    'side.logout': 'Выйти',
    'side.empty': 'Чатов пока нет. Начните с кнопки «Новый чат».',
    'side.list': 'Ваши чаты',
    'conn.online': 'в сети',
    'conn.connecting': 'подключение',
    'conn.offline': 'нет сети',
    'conn.title.online': 'Подключено: обновления приходят сразу',
    'conn.title.offline': 'Нет сети: ждём подключения',
    'conn.title.connecting': 'Переподключение…',
    'banner.connecting': 'Связь потеряна. Переподключаемся… Новые сообщения могут задерживаться.',
    'banner.offline': 'Нет сети. Сообщения отправятся, когда связь вернётся.',
    'chat.pane': 'Переписка',
    'chat.placeholder': 'Выберите чат, чтобы начать переписку',
    'chat.missing': 'Такого чата нет, или вы не его участник.',
    'chat.back': 'Назад к чатам',
    'chat.back.unread': 'Назад к чатам, непрочитанных: {n}',
    'chat.direct': 'Личная переписка',
    'chat.members': { one: '{n} участник: {names}', few: '{n} участника: {names}', other: '{n} участников: {names}' },
    'chat.default': 'Чат',
    'chat.group.created': 'Группа создана',
    'chat.none': 'Сообщений пока нет',
    'chat.unread': { one: '{n} непрочитанное', few: '{n} непрочитанных', other: '{n} непрочитанных' },
    'chat.you.prefix': 'Вы: ',
    'chat.unread.word': 'непрочитанных',
    'list.messages': 'Сообщения',
    'list.empty': 'Сообщений пока нет. Поздоровайтесь!',
    'list.loading.older': 'Загружаем более ранние сообщения…',
    'list.older.failed': 'Не удалось загрузить более ранние сообщения.',
    'list.load.failed': 'Не удалось загрузить сообщения (нет сети). Они загрузятся, когда связь вернётся.',
    'list.new.divider': 'Новые сообщения',
    'list.jump': 'К последнему сообщению',
    'list.jump.count': { one: 'Ниже {n} новое сообщение', few: 'Ниже {n} новых сообщения', other: 'Ниже {n} новых сообщений' },
    'list.announce': '{name}: {text}',
    'list.help': 'Стрелки вверх и вниз переходят между сообщениями; Enter или стрелка вправо — к действиям с сообщением.',
    'day.today': 'Сегодня',
    'day.yesterday': 'Вчера',
    'msg.you': 'Вы',
    'msg.deleted': 'Сообщение удалено',
    'msg.edited': 'изменено',
    'msg.edited.at': 'Изменено {time}',
    'msg.sending': 'Отправка…',
    'msg.failed': 'Не отправлено.',
    'msg.failed.network': 'Не отправлено (нет связи).',
    'msg.failed.reason': 'Не отправлено: {reason}',
    'msg.retry': 'Повторить',
    'msg.discard': 'Отменить',
    'msg.seen': 'Прочитано',
    'msg.seen.by': { one: 'Прочитал {n}', few: 'Прочитали {n}', other: 'Прочитали {n}' },
    'msg.label': '{name}, {time}: {text}',
    'msg.more': 'Действия с сообщением «{text}»',
    'msg.edit': 'Изменить',
    'msg.edit.label': 'Изменить сообщение «{text}»',
    'msg.delete': 'Удалить',
    'msg.delete.label': 'Удалить сообщение «{text}»',
    'msg.delete.confirm': 'Удалить это сообщение?',
    'msg.delete.yes.label': 'Да, удалить сообщение «{text}»',
    'msg.cancel': 'Отмена',
    'msg.save': 'Сохранить',
    'msg.edit.input': 'Изменить сообщение',
    'msg.edit.empty': 'Сообщение не может быть пустым (лучше удалите его).',
    'msg.network': 'Сервер недоступен. Попробуйте ещё раз.',
    'msg.delete.network': 'Сервер недоступен; сообщение не удалено.',
    'msg.too.long': 'Сообщение может быть не длиннее 4000 символов.',
    'composer.label': 'Сообщение',
    'composer.placeholder': 'Напишите сообщение…',
    'composer.hint': 'Enter отправляет, Shift+Enter — новая строка. Стрелка вверх в пустом поле изменяет ваше последнее сообщение.',
    'composer.hint.touch': 'Enter — новая строка; отправляет кнопка «Отправить».',
    'composer.send': 'Отправить',
    'typing.one': '{a} печатает…',
    'typing.two': '{a} и {b} печатают…',
    'typing.many': 'Несколько человек печатают…',
    'someone': 'Кто-то',
    'new.title': 'Новый чат',
    'new.kind': 'Тип чата',
    'new.direct': 'Личный',
    'new.group': 'Группа',
    'new.group.name': 'Название группы',
    'new.group.selected': 'Выбранные участники',
    'new.search': 'Найти людей по имени',
    'new.search.placeholder': 'Начните вводить имя…',
    'new.results': 'Найденные пользователи',
    'new.none': 'Никого с таким именем нет.',
    'new.cancel': 'Отмена',
    'new.create': 'Создать группу',
    'new.err.name': 'Дайте группе название.',
    'new.err.members': 'Выберите хотя бы одного участника.',
    'new.remove': 'Убрать {name}',
  },
};

export const LANGS = { en: 'English', ru: 'Русский' };

function pickLang() {
  let saved = null;
  try { saved = localStorage.getItem('lang'); } catch (e) { saved = null; }
  if (saved && STRINGS[saved]) return saved;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).toLowerCase().split('-')[0];
    if (STRINGS[base]) return base;
  }
  return 'en';
}

let lang = pickLang();
let plural = new Intl.PluralRules(lang);
const listeners = [];

export function getLang() { return lang; }

// A string of the table; a missing key shows itself (easy to spot).
export function t(key, params = {}) {
  let s = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
  if (typeof s === 'object') s = s[plural.select(Number(params.n) || 0)] ?? s.other;
  return s.replace(/\{(\w+)\}/g, (m, k) => (params[k] === undefined ? m : String(params[k])));
}

export function onLangChange(fn) { listeners.push(fn); }

export function setLang(l) {
  if (!STRINGS[l] || l === lang) return;
  lang = l;
  plural = new Intl.PluralRules(lang);
  try { localStorage.setItem('lang', l); } catch (e) { /* private mode: this page only */ }
  applyStatic();
  for (const fn of listeners) fn(l);
}

export function applyStatic(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const sel of root.querySelectorAll('select.lang-switch')) sel.value = lang;
}
